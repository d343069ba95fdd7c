package io.wssink.internal.receiver.console;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, one request per connection: the tests set any header (Host and Origin included,
 * which java.net.http refuses to) and see the answer's bytes as sent.
 */
final class Http {
    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private Http() {
    }

    static Response get(int port, String path, String... headers) throws IOException {
        return request(port, "GET", path, null, null, headers);
    }

    static Response post(int port, String path, String type, byte[] body, String... headers) throws IOException {
        return request(port, "POST", path, type, body, headers);
    }

    /** {@code headers}: name, value, name, value...; a "Host" among them replaces the default one. */
    static Response request(int port, String method, String path, String type, byte[] body, String... headers)
            throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            boolean host = false;
            for (int i = 0; i < headers.length; i += 2) {
                host |= headers[i].equalsIgnoreCase("Host");
                req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            if (!host) {
                req.append("Host: 127.0.0.1:").append(port).append("\r\n");
            }
            if (type != null) {
                req.append("Content-Type: ").append(type).append("\r\n");
            }
            if (body != null) {
                req.append("Content-Length: ").append(body.length).append("\r\n");
            }
            req.append("Connection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return read(s.getInputStream());
        }
    }

    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        byte[] bytes = all.toByteArray();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no whole HTTP response head in " + bytes.length + " bytes: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = new byte[bytes.length - end - 4];
        System.arraycopy(bytes, end + 4, body, 0, body.length);
        return new Response(status, headers, body);
    }
}
