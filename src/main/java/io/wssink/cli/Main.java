package io.wssink.cli;

import io.wssink.internal.spool.ChronicleSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Map;

/** {@code wssink}: the command line. Logs go to stderr, data to stdout. */
@Command(name = "wssink", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Forwards streams of events to a WebSocket endpoint through a crash-safe spool.",
        subcommands = {SendCommand.class, ServeCommand.class, StatusCommand.class, RewindCommand.class,
                SinksCommand.class, DemoCommand.class, ChaosCommand.class, DemoSenderCommand.class,
                ChaosProducerCommand.class},
        footer = ExitCodes.HELP)
public final class Main implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Debug logs, and stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(System.getenv(), args);
    }

    /** As {@link #run(String...)}, with {@code env} in place of the process's environment. */
    static int run(Map<String, String> env, String... args) {
        ChronicleSettings.apply();
        CommandLine cli = commandLine(env);
        cli.setExecutionStrategy(parsed -> {
            Main main = parsed.asCommandLineList().get(0).getCommand();
            if (main.verbose) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setParameterExceptionHandler((e, args1) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("wssink: " + e.getMessage() + " (see: " + failed.getCommandSpec().qualifiedName()
                    + " --help)");
            return ExitCodes.USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            Main main = parsed.asCommandLineList().get(0).getCommand();
            if (e instanceof IllegalArgumentException) {
                commandLine.getErr().println("wssink: " + e.getMessage());
                if (main.verbose) {
                    e.printStackTrace(commandLine.getErr());
                }
                return ExitCodes.USAGE;
            }
            commandLine.getErr().println("wssink: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (main.verbose) {
                e.printStackTrace(commandLine.getErr());
            }
            return ExitCodes.FAILED;
        });
        return cli.execute(args);
    }

    /**
     * The command tree with what every command shares, options added later included: durations as operators write
     * them ({@link Durations}) and values from the environment ({@link EnvironmentDefaults}). picocli expands
     * {@code @FILE} arguments (one or more arguments a line) by itself.
     */
    static CommandLine commandLine(Map<String, String> env) {
        CommandLine cli = new CommandLine(new Main());
        cli.registerConverter(Duration.class, new Durations());
        EnvironmentDefaults.install(cli, env);
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wssink " + new io.wssink.NullSink.Provider().version()};
        }
    }
}
