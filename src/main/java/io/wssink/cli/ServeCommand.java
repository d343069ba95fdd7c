package io.wssink.cli;

import io.wssink.receiver.ReceiverConfig;
import io.wssink.receiver.ReferenceReceiver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Runs the reference receiver: dedupes by id per stream, writes each payload to --out (a line each, or length-prefixed records with --binary) and acks what it wrote. Prints its URL when ready.",
        footer = ExitCodes.HELP)
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--port", defaultValue = "0", description = "Port; 0 picks a free one (default).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--out", required = true, description = "Output file; FILE.state beside it holds the dedupe state.")
    Path out;

    @Option(names = "--binary", description = "Write length-prefixed records instead of lines.")
    boolean binary;

    @Option(names = "--token", description = "Require Authorization: Bearer <token> (else 401). Also WSSINK_TOKEN.")
    String token;

    @Override
    public Integer call() throws Exception {
        String bearer = token != null ? token : System.getenv("WSSINK_TOKEN");
        ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).bind(bind).port(port)
                .binary(binary).token(bearer).build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                receiver.close();
            } catch (Exception e) {
                System.err.println("wssink: closing the receiver: " + e.getMessage());
            }
        }, "wssink-serve-stop"));
        System.out.println("listening on " + receiver.url());
        System.out.flush();
        new CountDownLatch(1).await(); // until a signal
        return ExitCodes.OK;
    }
}
