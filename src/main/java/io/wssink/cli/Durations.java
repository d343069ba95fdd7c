package io.wssink.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every {@link Duration} option, as operators write them: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h},
 * {@code 1d}, or ISO-8601 ({@code PT5S}, {@code P30D}, any case). Registered once for the whole command tree in
 * {@link Main}, so an option added later gets it without asking.
 */
final class Durations implements ITypeConverter<Duration> {
    static final String FORMS = "250ms, 5s, 2m, 1h, 1d or ISO-8601 (PT5S)";
    private static final Pattern SHORT = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(v);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            Duration d = Duration.parse(v.toUpperCase(Locale.ROOT));
            if (d.isNegative()) { // ISO-8601 has signs (PT-5S, -PT5S); no timeout or interval here can be negative
                throw new TypeConversionException("'" + value + "' is negative: write 0 or more, as " + FORMS);
            }
            return d;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new TypeConversionException("'" + value + "' is not a duration: write " + FORMS);
        }
    }
}
