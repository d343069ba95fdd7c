package io.wssink.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real executable jar, as a user would: {@code java -jar target/wssink.jar ARGS}, with no JVM flags. */
final class Jar {
    static final Path JAR = Path.of(System.getProperty("wssink.jar", "target/wssink.jar"));

    record Result(int exit, String out, String err) {
    }

    static ProcessBuilder command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Runs to completion with {@code stdin} as input, within {@code seconds}. */
    static Result run(String stdin, long seconds, String... args) throws IOException, InterruptedException {
        Path in = Files.createTempFile("wssink-in", ".txt");
        Path out = Files.createTempFile("wssink-out", ".txt");
        Path err = Files.createTempFile("wssink-err", ".txt");
        Files.writeString(in, stdin);
        Process p = command(args).redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("wssink " + String.join(" ", args) + " still running after " + seconds + " s; stderr: "
                    + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err));
    }

    /** Runs to completion with {@code stdin} as input bytes, within {@code seconds}. */
    static Result run(byte[] stdin, long seconds, String... args) throws IOException, InterruptedException {
        return run(new String(stdin, StandardCharsets.ISO_8859_1), seconds, StandardCharsets.ISO_8859_1, args);
    }

    private static Result run(String stdin, long seconds, Charset encoding, String... args)
            throws IOException, InterruptedException {
        Path in = Files.createTempFile("wssink-in", ".bin");
        Files.writeString(in, stdin, encoding);
        Path out = Files.createTempFile("wssink-out", ".txt");
        Path err = Files.createTempFile("wssink-err", ".txt");
        Process p = command(args).redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("wssink " + String.join(" ", args) + " still running after " + seconds + " s; stderr: "
                    + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err));
    }

    static Result run(String... args) throws IOException, InterruptedException {
        return run("", 120, args);
    }

    static String nullDevice() {
        return File.separatorChar == '/' ? "/dev/null" : "NUL";
    }
}
