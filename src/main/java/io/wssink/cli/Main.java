package io.wssink.cli;

import io.wssink.internal.spool.ChronicleSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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
        ChronicleSettings.apply();
        CommandLine cli = new CommandLine(new Main());
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
