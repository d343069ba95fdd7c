package io.wssink.bench;

/** The JVM flags Chronicle needs on Java 17, for every JMH fork (annotation values must be constants). */
final class Flags {
    static final String E1 = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
    static final String E2 = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";
    static final String E3 = "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED";
    static final String E4 = "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";
    static final String O1 = "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED";
    static final String O2 = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    static final String O3 = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
    static final String O4 = "--add-opens=java.base/java.io=ALL-UNNAMED";
    static final String O5 = "--add-opens=java.base/java.util=ALL-UNNAMED";
    static final String O6 = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
    static final String NO_ANALYTICS = "-Dchronicle.analytics.disable=true";
    static final String QUIET = "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"; // iterations end with expected disconnects

    private Flags() {
    }
}
