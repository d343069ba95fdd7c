package io.wssink.logback;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.wssink.WebSocketSink;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A child process configured by a real logback.xml (its path is args[0]; the file names the URL and spool): logs
 * "tag-n" for n below count through SLF4J and prints "L tag-n" once each log call returned; then waits until the
 * appender's sink has every event acknowledged, prints "DRAINED", and stops Logback (which stops the appender).
 */
public final class LoggingChild {
    public static void main(String[] args) throws Exception {
        System.setProperty("logback.configurationFile", args[0]);
        String tag = args[1];
        int count = Integer.parseInt(args[2]);
        org.slf4j.Logger app = LoggerFactory.getLogger("app");
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        WebSocketAppender appender = (WebSocketAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("WS");
        if (appender == null || !appender.isStarted()) {
            System.out.println("NOT STARTED");
            System.exit(3);
        }
        System.out.println("READY");
        for (int i = 0; i < count; i++) {
            app.info(tag + "-" + i); // a plain message: JsonEncoder writes it as "message"
            System.out.println("L " + tag + "-" + i);
        }
        WebSocketSink sink = appender.sink();
        sink.acked(sink.status().spool().lastId()).get(120, TimeUnit.SECONDS);
        System.out.println("DRAINED");
        context.stop();
        System.out.println(appender.isStarted() ? "STILL STARTED" : "STOPPED");
    }
}
