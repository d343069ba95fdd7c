package io.wssink.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A WebSocket client on a plain socket, byte by byte, for tests that play a hostile or broken client: any handshake
 * header, frames with any flags, any payload, as slowly as wanted. Masks what it sends, as clients must.
 */
public final class RawWebSocket implements AutoCloseable {
    public static final int TEXT = 1;
    public static final int BINARY = 2;
    public static final int CLOSE = 8;

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final Random masks = new Random(1);
    private int status;
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(30_000);
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Connects without sending anything. */
    public static RawWebSocket connect(int port) throws IOException {
        return new RawWebSocket(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** The upgrade request for path / with {@code headers} (name, value, name, value...). */
    public static byte[] request(int port, String... headers) {
        StringBuilder s = new StringBuilder("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            s.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return s.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Connects and sends the upgrade request; returns once the response's head is read (see {@link #status()}). */
    public static RawWebSocket handshake(int port, String... headers) throws IOException {
        RawWebSocket ws = connect(port);
        ws.send(request(port, headers));
        ws.readResponse();
        return ws;
    }

    /** The wssink.v1 headers of a sink for {@code stream}, then {@code more}. */
    public static String[] wssink(String stream, String... more) {
        String[] h = new String[4 + more.length];
        h[0] = "Sec-WebSocket-Protocol";
        h[1] = "wssink.v1";
        h[2] = "Wssink-Stream";
        h[3] = stream;
        System.arraycopy(more, 0, h, 4, more.length);
        return h;
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void readResponse() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.write(c);
            matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        status = Integer.parseInt(lines[0].split(" ")[1]);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                responseHeaders.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
            }
        }
    }

    public int status() {
        return status;
    }

    /** A response header (name in any case), or null. */
    public String header(String name) {
        return responseHeaders.get(name.toLowerCase());
    }

    /** The response body, for a response with Content-Length. */
    public String body() throws IOException {
        byte[] b = new byte[Integer.parseInt(header("content-length"))];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Sends a frame, masked. */
    public void frame(int opcode, byte[] payload, boolean rsv1) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            f.writeBytes(ByteBuffer.allocate(8).putLong(n).array());
        }
        byte[] mask = new byte[4];
        masks.nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < n; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        send(f.toByteArray());
    }

    public void binary(byte[] payload) throws IOException {
        frame(BINARY, payload, false);
    }

    public void text(String text) throws IOException {
        frame(TEXT, text.getBytes(StandardCharsets.UTF_8), false);
    }

    /** A frame from the server. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status of a close frame. */
        public int closeStatus() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }

        /** The reason of a close frame. */
        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    /** The next frame, or null when the connection closed first. */
    public Frame read() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.readUnsignedByte();
        long n = b1 & 0x7f;
        if (n == 126) {
            n = in.readUnsignedShort();
        } else if (n == 127) {
            n = in.readLong();
        }
        byte[] p = new byte[(int) n];
        in.readFully(p);
        return new Frame(b0 & 0x0f, p);
    }

    /** Frames until a close frame (returned) or the end of the connection (null); text frames are skipped. */
    public Frame readUntilClose() throws IOException {
        while (true) {
            Frame f = read();
            if (f == null || f.opcode() == CLOSE) {
                return f;
            }
        }
    }

    /** Reads until the server closes the connection: true when it did, false if {@code seconds} passed first. */
    public boolean awaitEnd(int seconds) throws IOException {
        socket.setSoTimeout(seconds * 1000);
        InputStream raw = socket.getInputStream();
        try {
            byte[] b = new byte[4096];
            while (raw.read(b) >= 0) {
                // discard
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
