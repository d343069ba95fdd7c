package io.wssink.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real child JVM running a main class from the test class path, with this JVM's Chronicle flags. Its stdout lines
 * are collected as they come; only whole lines count, so a line cut by a kill is never seen. {@link #kill()} sends
 * SIGKILL.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread pump;

    private ChildJvm(Process process) {
        this.process = process;
        this.pump = new Thread(this::pumpStdout, "child-stdout-" + process.pid());
        this.pump.setDaemon(true);
        this.pump.start();
    }

    public static ChildJvm start(Class<?> mainClass, Path stderrFile, String... args) throws IOException {
        return start(System.getProperty("java.class.path"), mainClass, stderrFile, args);
    }

    /** As {@link #start(Class, Path, String...)}, on a class path of the caller's choosing. */
    public static ChildJvm start(String classPath, Class<?> mainClass, Path stderrFile, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderrFile.toFile()));
        return new ChildJvm(pb.start());
    }

    /** This JVM's class path less the entries whose file name contains {@code fragment}, e.g. "slf4j-simple". */
    public static String classPathWithout(String fragment) {
        List<String> kept = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!Path.of(entry).getFileName().toString().contains(fragment)) {
                kept.add(entry);
            }
        }
        return String.join(File.pathSeparator, kept);
    }

    private void pumpStdout() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = r.read()) != -1) {
                if (c == '\n') {
                    synchronized (lines) {
                        lines.add(line.toString());
                    }
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
        } catch (IOException ignored) {
            // the child died
        }
    }

    /** A copy of the whole lines printed so far. */
    public List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** How many whole lines were printed so far. */
    public int lineCount() {
        synchronized (lines) {
            return lines.size();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL, then waits for the death and for the last whole lines. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        pump.join(10_000);
    }

    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("child " + process.pid() + " still running after " + seconds + " s");
        }
        pump.join(10_000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
