package io.wssink.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

final class Enums {
    private Enums() {
    }

    /** Parses an option's value into an enum constant, case-insensitively, with a message that lists the choices. */
    static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.replace('-', '_'))) {
                return e;
            }
        }
        throw new IllegalArgumentException(option + " must be one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ", not '" + value + "'");
    }
}
