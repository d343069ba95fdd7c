package io.wssink.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where an iteration's CPU went, per event, by role: the benchmark's worker thread, the sinks (forwarders and their
 * event loops), the receiver's event loops, the Kafka store's threads, the producers' I/O threads, the rest of this
 * JVM (GC, JIT, JMH), and the broker's process. On a 2-core machine every role shares the same cores, so a ratio of
 * throughputs also charges the receiver for the senders running beside it; CPU per event by role says what each part
 * costs without that. Printed once per iteration (JMH shows it in the fork's output).
 *
 * <p>A thread started within the iteration counts from its start (the store's pool starts its threads as streams
 * come); one that also ended within it counts under rest-of-jvm, from the process's total, as do the JVM's own
 * (GC, JIT). {@code -Dcpusplit.debug=true} (JMH: {@code -jvmArgsPrepend}) adds the named threads that fit no role.
 */
final class CpuSplit {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final ProcessHandle broker;
    private final Map<Long, Long> startCpu = new HashMap<>();
    private long startProcessCpu;
    private long startBrokerCpu;

    CpuSplit(ProcessHandle broker) {
        this.broker = broker;
    }

    /** Call once set up, right before the iteration's measured part. */
    void begin() {
        startCpu.clear();
        for (long id : threads.getAllThreadIds()) {
            long cpu = threads.getThreadCpuTime(id);
            if (cpu >= 0) {
                startCpu.put(id, cpu);
            }
        }
        startProcessCpu = processCpu(ProcessHandle.current());
        startBrokerCpu = processCpu(broker);
    }

    /** The CPU since {@link #begin()}, in microseconds per event, by role; {@code events}: what the iteration did. */
    String end(String label, long events) {
        Map<String, Long> byRole = new LinkedHashMap<>();
        for (String role : new String[] {"worker", "sinks", "receiver-loop", "store", "producer-io"}) {
            byRole.put(role, 0L);
        }
        long counted = 0;
        Map<String, Long> others = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long before = startCpu.getOrDefault(id, 0L);
            ThreadInfo info = threads.getThreadInfo(id);
            long cpu = threads.getThreadCpuTime(id);
            if (info == null || cpu < 0) {
                continue;
            }
            String role = role(info.getThreadName());
            if (role != null) {
                byRole.merge(role, cpu - before, Long::sum);
                counted += cpu - before;
            } else if (Boolean.getBoolean("cpusplit.debug")) {
                others.merge(info.getThreadName().replaceAll("[0-9]+", "N"), cpu - before, Long::sum);
            }
        }
        long process = processCpu(ProcessHandle.current()) - startProcessCpu;
        byRole.put("rest-of-jvm", Math.max(0, process - counted));
        byRole.put("broker", processCpu(broker) - startBrokerCpu);
        StringJoiner line = new StringJoiner(" ", "cpu-split " + label + " us/event:", "");
        long all = 0;
        for (Map.Entry<String, Long> e : byRole.entrySet()) {
            line.add(e.getKey() + "=" + String.format(Locale.ROOT, "%.3f", e.getValue() / 1e3 / Math.max(1, events)));
            all += e.getValue();
        }
        line.add("all=" + String.format(Locale.ROOT, "%.3f", all / 1e3 / Math.max(1, events)));
        line.add("events=" + events);
        others.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> line.add("[" + e.getKey() + " " + e.getValue() / 1_000_000 + " ms]"));
        return line.toString();
    }

    private static String role(String name) {
        if (name.contains("jmh-worker")) {
            return "worker";
        }
        if (name.startsWith("wssink-forwarder") || name.startsWith("wssink-io")) {
            return "sinks";
        }
        if (name.startsWith("multiThreadIoEventLoopGroup")) {
            return "receiver-loop";
        }
        if (name.startsWith("wssink-kafka")) {
            return "store";
        }
        if (name.startsWith("kafka-producer-network-thread")) {
            return "producer-io";
        }
        return null;
    }

    private static long processCpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
