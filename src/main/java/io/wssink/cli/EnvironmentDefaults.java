package io.wssink.cli;

import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every option's value may come from the environment: {@code --max-event-bytes} from
 * {@code WSSINK_MAX_EVENT_BYTES}, the name derived from the option's longest name, so that options added later get
 * theirs without asking. Precedence: the command line (an {@code @file}'s arguments are command-line arguments) over
 * the environment over the option's own default. Values from the environment are never printed: they may be
 * secrets.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {
    static final String PREFIX = "WSSINK_";
    /** Set but empty, it is passed on as empty (and refused), where any other empty variable counts as unset. */
    private static final String EMPTY_REFUSED = "WSSINK_TOKEN";

    private final Map<String, String> env;

    EnvironmentDefaults(Map<String, String> env) {
        this.env = env;
    }

    /** The variable for an option, or null for those that never come from the environment (--help, --version). */
    static String variable(OptionSpec option) {
        if (option.usageHelp() || option.versionHelp() || !option.longestName().startsWith("--")) {
            return null;
        }
        return PREFIX + option.longestName().substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String name = variable(option);
        String value = name == null ? null : env.get(name);
        if (EMPTY_REFUSED.equals(name) && value != null) {
            return value; // an empty token is refused by serve (a secret that failed to load), never taken as none
        }
        return value == null || value.isEmpty() ? null : value;
    }

    /**
     * Installs the provider on every command of the tree, and lists each command's variables at the end of its
     * --help. Required options whose variable is set stop being required: the environment gives them.
     */
    static void install(CommandLine cli, Map<String, String> env) {
        EnvironmentDefaults provider = new EnvironmentDefaults(env);
        cli.setDefaultValueProvider(provider);
        install(cli, provider, env);
    }

    private static void install(CommandLine cli, EnvironmentDefaults provider, Map<String, String> env) {
        CommandSpec spec = cli.getCommandSpec();
        List<String> names = new ArrayList<>();
        for (OptionSpec option : new ArrayList<>(spec.options())) {
            String name = variable(option);
            if (name == null) {
                continue;
            }
            names.add(name);
            if (option.required() && provider.defaultValue(option) != null) {
                spec.remove(option);
                spec.addOption(option.toBuilder().required(false).build());
            }
        }
        if (!names.isEmpty()) {
            List<String> footer = new ArrayList<>(List.of(spec.usageMessage().footer()));
            if (footer.isEmpty() || !footer.get(footer.size() - 1).endsWith("%n")) {
                footer.add(""); // a blank line before this part (ExitCodes.HELP ends with one)
            }
            footer.add("Every option may come from the environment: WSSINK_ and its name in capitals,");
            footer.add("'-' as '_'. The command line (@FILE's arguments included) wins over the");
            footer.add("environment, the environment over the default.");
            footer.add("Durations: " + Durations.FORMS + ". Variables here:");
            StringBuilder line = new StringBuilder(" ");
            for (String name : names) {
                if (line.length() + name.length() > 76) {
                    footer.add(line.toString());
                    line = new StringBuilder(" ");
                }
                line.append(' ').append(name);
            }
            footer.add(line.toString());
            spec.usageMessage().footer(footer.toArray(String[]::new));
        }
        for (CommandLine sub : cli.getSubcommands().values()) {
            install(sub, provider, env);
        }
    }
}
