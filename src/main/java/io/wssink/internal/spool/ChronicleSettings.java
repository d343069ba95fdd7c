package io.wssink.internal.spool;

/** System properties Chronicle reads when its classes load: the product never phones home, and stays quiet. */
public final class ChronicleSettings {
    private ChronicleSettings() {
    }

    public static void apply() {
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        // Chronicle's own disk-space monitor only logs; SpoolCapacity enforces the floor instead.
        System.setProperty("chronicle.disk.monitor.disable", "true");
    }
}
