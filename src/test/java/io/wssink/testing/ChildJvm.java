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
 * are collected as they come, to the end of the stream even after a kill; only whole lines count, so a line cut by a
 * kill is never seen. {@link #kill()} sends SIGKILL.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    /** Written by the pump, read by any thread under its own monitor. */
    private final List<String> lines = new ArrayList<>();
    private final Thread pump;
    /** Set by the pump if reading stopped before the end of the child's output; read once the pump ended. */
    private volatile IOException pumpFailure;

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
        if (System.getProperty("wssink.bootId") != null) { // a test that plays a machine restart names the boot
            cmd.add("-Dwssink.bootId=" + System.getProperty("wssink.bootId"));
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
        } catch (IOException e) {
            // Not the child's death: that is the end of the stream (-1). Lines after this one would be missing.
            pumpFailure = e;
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
        // Not process.destroyForcibly(): on Linux that also closes our end of the child's stdout right after the
        // signal, so whatever the child had written and the pump had not read yet was dropped (up to a pipe's
        // 64 KiB, thousands of lines of a fast child). SpoolCrashTest then found up to 2380 records in one round
        // whose "A" lines, all written by the child, never reached lines(). The handle only sends the signal; the
        // pump reads to the end of the pipe, which comes when the dead child's end of it is closed.
        process.toHandle().destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("child " + process.pid() + " still running 30 s after SIGKILL");
        }
        awaitAllLines();
    }

    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("child " + process.pid() + " still running after " + seconds + " s");
        }
        awaitAllLines();
        return process.exitValue();
    }

    /** Once the child is dead: waits for the pump to read its stdout to the end, and fails if it could not. */
    private void awaitAllLines() throws InterruptedException {
        pump.join(10_000);
        if (pump.isAlive()) {
            throw new AssertionError("child " + process.pid() + " is dead but its stdout did not end within 10 s: "
                    + "lines() would miss some");
        }
        if (pumpFailure != null) {
            throw new AssertionError("reading the stdout of child " + process.pid() + " failed, so lines() misses "
                    + "the rest: " + pumpFailure, pumpFailure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
