package io.wssink.internal.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which HTTP CONNECT proxy, if any, carries the connection to a URL: one given explicitly, or the conventional
 * {@code HTTPS_PROXY} (for wss://), {@code HTTP_PROXY} (for ws://) and {@code NO_PROXY} variables, read only when
 * asked ({@link #fromEnvironment(Map)}); lower-case names win over upper-case ones, as curl does. A proxy URL is
 * {@code http://[user:password@]host[:port]} (port 80 if none; a bare {@code host:port} is taken as http). The user
 * info is a secret: {@link #toString()} and every message show the proxy's host and port only.
 *
 * <p>Immutable: any thread.
 */
public final class ProxySettings {
    /** No proxy: every connection is direct. */
    public static final ProxySettings NONE = new ProxySettings(null, null, List.of());

    private final URI forWs;
    private final URI forWss;
    /** NO_PROXY entries, lower case, without a leading dot or a port; "*" means every host. */
    private final List<String> noProxy;

    private ProxySettings(URI forWs, URI forWss, List<String> noProxy) {
        this.forWs = forWs;
        this.forWss = forWss;
        this.noProxy = noProxy;
    }

    /** One proxy for ws:// and wss:// alike, except for the hosts of {@code noProxy} (NO_PROXY's syntax; may be null). */
    public static ProxySettings of(URI proxy, String noProxy) {
        URI p = check(proxy, "proxy");
        return new ProxySettings(p, p, parseNoProxy(noProxy));
    }

    /** From HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case forms) in {@code env}. */
    public static ProxySettings fromEnvironment(Map<String, String> env) {
        URI http = fromVariable(env, "http_proxy");
        URI https = fromVariable(env, "https_proxy");
        String no = variable(env, "no_proxy");
        return http == null && https == null ? NONE : new ProxySettings(http, https, parseNoProxy(no));
    }

    private static String variable(Map<String, String> env, String lowerName) {
        String v = env.get(lowerName);
        if (v == null || v.isBlank()) {
            v = env.get(lowerName.toUpperCase(Locale.ROOT));
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static URI fromVariable(Map<String, String> env, String lowerName) {
        String v = variable(env, lowerName);
        if (v == null) {
            return null;
        }
        return parse(v, lowerName.toUpperCase(Locale.ROOT));
    }

    /**
     * A proxy URL as an operator writes it: {@code http://[user:password@]host[:port]}, or a bare {@code host:port}
     * (taken as http). {@code what} names where it came from (an option, a variable, a setting).
     *
     * @throws IllegalArgumentException that says what is wrong without the text: it may hold a password, and a
     *         message reaches terminals and logs
     */
    public static URI parse(String text, String what) {
        String t = text.strip();
        String prefix = t.contains("://") ? "" : "http://";
        try {
            return check(new URI(prefix + t), what);
        } catch (URISyntaxException e) {
            int at = e.getIndex() < 0 ? -1 : e.getIndex() - prefix.length();
            throw new IllegalArgumentException(what + " is not a URL (" + e.getReason()
                    + (at < 0 ? "" : " at index " + at) + "; the text is not shown, it may hold a password): expected"
                    + " http://[user:password@]host:port, with the user and password percent-encoded");
        }
    }

    private static URI check(URI proxy, String what) {
        // an unencoded '/', '?', '#' or '@' in a password moves the rest of it into the path, query or fragment, and
        // what came before it into the host ("http://user:1234/x@p" is host "user", port 1234): refused, and never
        // shown, not even as host and port, before any other check that would show them
        boolean extra = proxy.getRawPath() != null && !proxy.getRawPath().isEmpty() && !proxy.getRawPath().equals("/")
                || proxy.getRawQuery() != null || proxy.getRawFragment() != null;
        if (proxy.getHost() == null || proxy.getHost().isEmpty() || extra) {
            throw new IllegalArgumentException(what + " is not http://[user:password@]host[:port] (the text is not"
                    + " shown, it may hold a password): " + (extra ? "it has a path, query or fragment" : "no host")
                    + "; a '/', '?', '#' or '@' in the user or password must be percent-encoded (%2F, %3F, %23, %40)");
        }
        String scheme = proxy.getScheme() == null ? "" : proxy.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            throw new IllegalArgumentException(what + " must be an http:// proxy (HTTP CONNECT), not '" + scheme
                    + "://': " + show(proxy));
        }
        return proxy;
    }

    private static List<String> parseNoProxy(String text) {
        List<String> entries = new ArrayList<>();
        if (text == null) {
            return entries;
        }
        for (String raw : text.split(",")) {
            String e = raw.trim().toLowerCase(Locale.ROOT);
            if (e.startsWith("[") && e.contains("]")) {
                e = e.substring(1, e.indexOf(']')); // [::1]:8080
            } else if (e.indexOf(':') == e.lastIndexOf(':') && e.indexOf(':') > 0) {
                e = e.substring(0, e.indexOf(':')); // host:port: the port is not compared
            }
            while (e.startsWith(".") || e.startsWith("*.")) {
                e = e.substring(e.charAt(0) == '*' ? 2 : 1);
            }
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        return List.copyOf(entries);
    }

    /** The proxy for {@code target}, or null to connect directly. */
    public URI proxyFor(URI target) {
        URI proxy = "wss".equalsIgnoreCase(target.getScheme()) ? forWss : forWs;
        if (proxy == null) {
            return null;
        }
        String host = target.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        for (String e : noProxy) {
            if (e.equals("*") || host.equals(e) || host.endsWith("." + e)) {
                return null;
            }
        }
        return proxy;
    }

    /** The proxy's port: its own, or 80. */
    static int port(URI proxy) {
        return proxy.getPort() == -1 ? 80 : proxy.getPort();
    }

    /** The user and password of the proxy URL's user info, decoded; null when it has none. */
    static String[] credentials(URI proxy) {
        String info = proxy.getRawUserInfo();
        if (info == null || info.isEmpty()) {
            return null;
        }
        int colon = info.indexOf(':');
        String user = colon < 0 ? info : info.substring(0, colon);
        String password = colon < 0 ? "" : info.substring(colon + 1);
        return new String[] {percentDecoded(user), percentDecoded(password)};
    }

    /**
     * RFC 3986 percent-decoding. URLDecoder decodes forms, where '+' stands for a space: a password holding a '+',
     * which user info may hold as it is, reached the proxy with a space in its place (407).
     */
    private static String percentDecoded(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** A proxy fit for logs: host and port, never the user info. */
    public static String show(URI proxy) {
        return (proxy.getScheme() == null ? "" : proxy.getScheme() + "://") + proxy.getHost()
                + (proxy.getPort() == -1 ? "" : ":" + proxy.getPort());
    }

    @Override
    public String toString() {
        if (forWs == null && forWss == null) {
            return "direct";
        }
        return "ProxySettings{ws=" + (forWs == null ? "direct" : show(forWs)) + ", wss="
                + (forWss == null ? "direct" : show(forWss)) + ", noProxy=" + noProxy + "}";
    }
}
