package io.wssink.cli;

import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Options from argv, @FILE and the environment, and durations as operators write them, parsed as Main parses. */
class ConfigurationTest {
    @TempDir
    Path tmp;

    private static <T> T parse(Map<String, String> env, Class<T> command, String... args) {
        ParseResult parsed = Main.commandLine(env).parseArgs(args);
        return command.cast(parsed.subcommand().commandSpec().userObject());
    }

    @Test
    void everyDurationOptionTakesShortFormsAndIso8601() {
        SendCommand send = parse(Map.of(), SendCommand.class, "send", "--url", "ws://127.0.0.1:1/", "--spool", "s",
                "--timeout", "250ms", "--drain-timeout", "PT5S", "--ping-interval", "2m", "--ping-timeout", "1h",
                "--backoff-initial", "5s", "--backoff-max", "pt1m30s");
        assertEquals(Duration.ofMillis(250), send.timeout);
        assertEquals(Duration.ofSeconds(5), send.options.drainTimeout);
        assertEquals(Duration.ofMinutes(2), send.options.pingInterval);
        assertEquals(Duration.ofHours(1), send.options.pingTimeout);
        assertEquals(Duration.ofSeconds(5), send.options.backoffInitial);
        assertEquals(Duration.ofSeconds(90), send.options.backoffMax);
        ServeCommand serve = parse(Map.of(), ServeCommand.class, "serve", "--out", "o", "--idle-timeout", "30s",
                "--forget-after", "7d", "--handshake-timeout", "PT2S");
        assertEquals(Duration.ofSeconds(30), serve.idleTimeout);
        assertEquals(Duration.ofDays(7), serve.forgetAfter);
        assertEquals(Duration.ofSeconds(2), serve.handshakeTimeout);
        assertEquals(Duration.ofSeconds(10), parse(Map.of(), ServeCommand.class, "serve", "--out", "o").handshakeTimeout,
                "the ISO-8601 defaults still parse");
    }

    @Test
    void aBadDurationIsOneLineThatSaysWhatToWriteAndExits2() {
        try (CapturedStderr err = new CapturedStderr()) {
            int code = Main.run(Map.of(), "send", "--url", "ws://127.0.0.1:1/", "--spool", tmp.resolve("s").toString(),
                    "--timeout", "5 seconds");
            assertEquals(ExitCodes.USAGE, code);
            String text = err.text().trim();
            assertTrue(text.contains("'5 seconds' is not a duration: write 250ms, 5s, 2m, 1h"), text);
            assertEquals(1, text.lines().count(), text);
        }
    }

    @Test
    void aNegativeIsoDurationIsRefusedInOneLineWithExit2() {
        for (String negative : List.of("PT-5S", "-PT5S", "pt-0.5s")) {
            // parsed first: a negative timeout taken would have send wait on stdin
            assertThrows(CommandLine.ParameterException.class, () -> parse(Map.of(), SendCommand.class, "send",
                    "--url", "ws://127.0.0.1:1/", "--spool", "s", "--timeout", negative), negative);
            try (CapturedStderr err = new CapturedStderr()) {
                int code = Main.run(Map.of(), "send", "--url", "ws://127.0.0.1:1/", "--spool",
                        tmp.resolve("s").toString(), "--timeout", negative);
                assertEquals(ExitCodes.USAGE, code, negative);
                String text = err.text().trim();
                assertTrue(text.contains("'" + negative + "' is negative: write 0 or more, as 250ms, 5s"), text);
                assertEquals(1, text.lines().count(), text);
            }
        }
        assertEquals(Duration.ZERO, Durations.parse("PT0S"), "zero is not negative");
    }

    /**
     * serve read WSSINK_TOKEN with System.getenv itself, past the environment Main was given: run in a child JVM
     * whose process environment holds WSSINK_TOKEN while the injected one is empty, serve must see no token (so
     * --token-file alone is fine, and the next check, --format with --binary, is the one that speaks).
     */
    @Test
    void serveTakesItsTokenFromTheInjectedEnvironmentOnly() throws Exception {
        Path tokens = Files.writeString(tmp.resolve("tokens"), "from-the-file\n");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), InjectedEnvironmentChild.class.getName(), "serve", "--out",
                tmp.resolve("o").toString(), "--token-file", tokens.toString(), "--binary", "--format", "lines");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("WSSINK_TOKEN", "from-the-process");
        Process child = pb.start();
        try {
            String said = new String(child.getInputStream().readAllBytes());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), said);
            assertEquals(ExitCodes.USAGE, child.exitValue(), said);
            assertTrue(said.contains("give --format or --binary, not both"), said);
            assertFalse(said.contains("from-the-process"), said);
        } finally {
            child.toHandle().destroyForcibly();
        }
    }

    @Test
    void anEmptyWssinkTokenInTheInjectedEnvironmentIsRefusedNotTakenAsNone() {
        try (CapturedStderr err = new CapturedStderr()) {
            int code = Main.run(Map.of("WSSINK_TOKEN", ""), "serve", "--out", tmp.resolve("o").toString());
            assertEquals(ExitCodes.USAGE, code, err.text());
            assertTrue(err.text().contains("the token is empty"), err.text());
        }
    }

    /** Runs Main with an empty injected environment, whatever the process's environment holds. */
    public static final class InjectedEnvironmentChild {
        public static void main(String[] args) {
            System.exit(Main.run(Map.of(), args));
        }
    }

    @Test
    void everyOptionComesFromTheEnvironmentAndTheCommandLineWins() {
        Map<String, String> env = Map.of("WSSINK_URL", "ws://127.0.0.1:9/env", "WSSINK_SPOOL", "/var/spool/env",
                "WSSINK_TIMEOUT", "5s", "WSSINK_FOLLOW", "true", "WSSINK_MAX_EVENT_BYTES", "4096",
                "WSSINK_METRICS_PORT", "9100", "WSSINK_DRAIN_TIMEOUT", "1m");
        SendCommand fromEnv = parse(env, SendCommand.class, "send"); // --url and --spool are required: env gives them
        assertEquals(List.of("ws://127.0.0.1:9/env"), fromEnv.options.urls);
        assertEquals(Path.of("/var/spool/env"), fromEnv.options.spool);
        assertEquals(Duration.ofSeconds(5), fromEnv.timeout);
        assertTrue(fromEnv.follow);
        assertEquals(4096, fromEnv.options.maxEventBytes);
        assertEquals(9100, fromEnv.metrics.port);
        assertEquals(Duration.ofMinutes(1), fromEnv.options.drainTimeout, "over the option's own default");

        SendCommand argv = parse(env, SendCommand.class, "send", "--spool", "/argv", "--timeout", "1s");
        assertEquals(Path.of("/argv"), argv.options.spool);
        assertEquals(Duration.ofSeconds(1), argv.timeout);
        assertEquals(List.of("ws://127.0.0.1:9/env"), argv.options.urls);

        ServeCommand serve = parse(Map.of("WSSINK_OUT", "/tmp/o", "WSSINK_METRICS_BIND", "0.0.0.0"),
                ServeCommand.class, "serve");
        assertEquals(Path.of("/tmp/o"), serve.out);
        assertEquals("0.0.0.0", serve.metrics.bind);
    }

    @Test
    void aRequiredOptionInNeitherPlaceIsStillMissing() {
        CommandLine.MissingParameterException e = assertThrows(CommandLine.MissingParameterException.class,
                () -> Main.commandLine(Map.of("WSSINK_SPOOL", "/s")).parseArgs("send"));
        assertTrue(e.getMessage().contains("--url"), e.getMessage());
        assertFalse(e.getMessage().contains("--spool"), e.getMessage());
    }

    @Test
    void anAtFileHoldsArgumentsAndWinsOverTheEnvironment() throws Exception {
        Path file = tmp.resolve("send.args");
        Files.writeString(file, "# the operator's settings\n--url ws://127.0.0.1:9/file\n--spool \"/spool with space\"\n"
                + "--timeout 2m\n");
        SendCommand send = parse(Map.of("WSSINK_TIMEOUT", "5s", "WSSINK_URL", "ws://127.0.0.1:9/env"),
                SendCommand.class, "send", "@" + file, "--follow");
        assertEquals(List.of("ws://127.0.0.1:9/file"), send.options.urls);
        assertEquals(Path.of("/spool with space"), send.options.spool);
        assertEquals(Duration.ofMinutes(2), send.timeout);
        assertTrue(send.follow);
    }

    @Test
    void helpListsEachCommandsVariables() {
        CommandLine cli = Main.commandLine(Map.of());
        String send = cli.getSubcommands().get("send").getUsageMessage();
        for (String v : List.of("WSSINK_URL", "WSSINK_SPOOL", "WSSINK_TOKEN_FILE", "WSSINK_HEADER_FILE",
                "WSSINK_TIMEOUT", "WSSINK_METRICS_PORT", "WSSINK_METRICS_BIND", "WSSINK_VERBOSE")) {
            assertTrue(send.contains(v), v + " missing from send --help:\n" + send);
        }
        assertFalse(send.contains("WSSINK_HELP"), send);
        String serve = cli.getSubcommands().get("serve").getUsageMessage();
        assertTrue(serve.contains("WSSINK_OUT") && serve.contains("WSSINK_TOKEN "), serve);
        assertTrue(serve.contains("The command line (@FILE's arguments included) wins over the"), serve);
    }

    @Test
    void aSecretGivenTheWrongWayInTheEnvironmentIsNeverEchoed() {
        try (CapturedStderr err = new CapturedStderr()) {
            int code = Main.run(Map.of("WSSINK_HEADER", "Authorization: Bearer s3cret-from-env"), "send", "--url",
                    "ws://127.0.0.1:1/", "--spool", tmp.resolve("s").toString());
            assertEquals(ExitCodes.USAGE, code);
            assertTrue(err.text().contains("--header takes NAME=VALUE"), err.text());
            assertFalse(err.text().contains("s3cret"), err.text());
        }
    }

    /**
     * A proxy URL that does not parse (an unencoded space, '%' or '"' in the password) was echoed whole by picocli's
     * URI conversion, password and all, from the option and from WSSINK_PROXY alike.
     */
    @Test
    void aProxyUrlThatDoesNotParseIsRefusedWithoutEchoingIt() {
        String bad = "http://al1ce:pa%ss w0rd@proxy:3128";
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("WSSINK_PROXY", bad))) {
            List<String> args = new ArrayList<>(List.of("send", "--url", "ws://127.0.0.1:1/", "--spool",
                    tmp.resolve("s").toString()));
            if (env.isEmpty()) {
                args.addAll(List.of("--proxy", bad));
            }
            try (CapturedStderr err = new CapturedStderr()) {
                int code = Main.run(env, args.toArray(String[]::new));
                assertEquals(ExitCodes.USAGE, code, err.text());
                String text = err.text().trim();
                assertTrue(text.startsWith("wssink: the proxy URL is not a URL"), text);
                assertFalse(text.contains("pa%ss") || text.contains("w0rd") || text.contains("al1ce"), text);
                assertEquals(1, text.lines().count(), text);
            }
        }
    }

    @Test
    void noProxyWithoutAProxyIsRefusedRatherThanIgnored() {
        try (CapturedStderr err = new CapturedStderr()) {
            int code = Main.run(Map.of(), "send", "--url", "ws://127.0.0.1:1/", "--spool", tmp.resolve("s").toString(),
                    "--proxy-from-env", "--no-proxy", "example.com");
            assertEquals(ExitCodes.USAGE, code, err.text());
            assertTrue(err.text().contains("wssink: --no-proxy goes with --proxy"), err.text());
        }
    }
}
