package io.wssink.cli;

import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The real jar configured as a service would be: settings in the environment, the secret in a file. */
class ConfigurationIT {
    private static final String SECRET = "s3cret-token-7f1c";

    @TempDir
    Path tmp;

    /** Runs the jar to its end with {@code env} added to its environment; returns its stderr. */
    private Jar.Result run(Path stdin, Map<String, String> env, String... args) throws Exception {
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = Jar.command(args).redirectInput(stdin.toFile()).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.toHandle().destroyForcibly();
            fail("wssink still running after 120 s: " + Files.readString(err));
        }
        return new Jar.Result(p.exitValue(), "", Files.readString(err));
    }

    @Test
    void sendTakesItsSettingsFromTheEnvironmentAndNeverShowsTheTokenFromItsFile() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path token = tmp.resolve("token");
        Path lines = tmp.resolve("in.txt");
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(lines, "one\ntwo\n");
        Files.writeString(empty, "");
        Files.writeString(token, "not-the-one-" + SECRET + "\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).token(SECRET).build())) {
            Map<String, String> env = Map.of("WSSINK_TOKEN_FILE", token.toString(),
                    "WSSINK_SPOOL", tmp.resolve("spool").toString(), "WSSINK_URL", receiver.url());
            // the wrong token: refused (401) until the timeout; the logs say why, never with the token
            Jar.Result refused = run(lines, env, "send", "--timeout", "3s", "--verbose");
            assertEquals(ExitCodes.TIMEOUT, refused.exit(), refused.err());
            assertTrue(refused.err().contains("401"), refused.err());
            assertFalse(refused.err().contains(SECRET), refused.err());

            // the right one, rotated into the file: what the first run spooled is delivered
            Files.writeString(token, SECRET + "\n");
            Jar.Result delivered = run(empty, env, "send", "--timeout", "PT60S", "--verbose");
            assertEquals(0, delivered.exit(), delivered.err());
            assertFalse(delivered.err().contains(SECRET), delivered.err());
        }
        assertEquals(List.of("one", "two"), Output.lines(out));
    }
}
