package io.wssink.internal.receiver;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** A child process running the reference receiver on args[0] (fsync always); prints "URL url" once listening. */
public final class ReceiverChild {
    public static void main(String[] args) throws Exception {
        ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(Path.of(args[0])).build());
        System.out.println("URL " + receiver.url());
        System.out.flush();
        new CountDownLatch(1).await(); // until killed
    }
}
