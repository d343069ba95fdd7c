package io.wssink.internal.transport;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ProxySettingsTest {
    private static final URI WS = URI.create("ws://events.example.com:8080/in");
    private static final URI WSS = URI.create("wss://events.example.com/in");

    @Test
    void httpsProxyCarriesWssAndHttpProxyCarriesWs() {
        ProxySettings p = ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://secure:3128",
                "HTTP_PROXY", "plain:8080"));
        assertEquals(URI.create("http://secure:3128"), p.proxyFor(WSS));
        assertEquals(URI.create("http://plain:8080"), p.proxyFor(WS), "a bare host:port is an http proxy");
        assertNull(ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://secure:3128")).proxyFor(WS));
    }

    @Test
    void lowerCaseWinsOverUpperCase() {
        ProxySettings p = ProxySettings.fromEnvironment(Map.of("https_proxy", "http://lower:1", "HTTPS_PROXY", "http://upper:2"));
        assertEquals("lower", p.proxyFor(WSS).getHost());
    }

    @Test
    void noProxyMatchesHostsAndDomainsButNotLookAlikes() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://p:3128", "HTTP_PROXY", "http://p:3128",
                "NO_PROXY", "localhost, .internal,example.com:443,[::1]");
        ProxySettings p = ProxySettings.fromEnvironment(env);
        assertNull(p.proxyFor(URI.create("ws://localhost:8080/")));
        assertNull(p.proxyFor(URI.create("wss://a.b.internal/")));
        assertNull(p.proxyFor(URI.create("wss://internal/")));
        assertNull(p.proxyFor(WSS), "a subdomain of example.com");
        assertNull(p.proxyFor(URI.create("ws://[::1]:9/")));
        assertNotNull(p.proxyFor(URI.create("wss://notexample.com/")));
        assertNotNull(p.proxyFor(URI.create("wss://127.0.0.1/")));
        assertNull(ProxySettings.fromEnvironment(Map.of("HTTP_PROXY", "http://p:1", "NO_PROXY", "*")).proxyFor(WS));
    }

    @Test
    void anExplicitProxyHonoursItsOwnNoProxyList() {
        ProxySettings p = ProxySettings.of(URI.create("http://p:3128"), "events.example.com");
        assertNull(p.proxyFor(WS));
        assertEquals("p", p.proxyFor(URI.create("ws://other/")).getHost());
    }

    @Test
    void userInfoIsDecodedForBasicAuthAndNeverShown() {
        URI proxy = URI.create("http://al%40ice:pa%3Ass@p:3128");
        assertArrayEquals(new String[] {"al@ice", "pa:ss"}, ProxySettings.credentials(proxy));
        ProxySettings p = ProxySettings.of(proxy, null);
        assertFalse(p.toString().contains("@") || p.toString().contains("pa"), p.toString());
        assertFalse(p.toString().contains("ice"), p.toString());
        TransportConfig config = TransportConfig.builder().url("ws://x/").proxy(proxy).build();
        assertFalse(config.toString().contains("ice"), config.toString());
        assertEquals(80, ProxySettings.port(URI.create("http://p")));
    }

    @Test
    void aPlusInTheUserInfoIsAPlusNotASpace() {
        // URLDecoder decodes forms, where '+' is a space: a password with a '+' got 407 from the proxy
        assertArrayEquals(new String[] {"a+b", "p+w d"},
                ProxySettings.credentials(URI.create("http://a+b:p+w%20d@p:1")));
    }

    @Test
    void aProxyAsWrittenParsesAndOneThatDoesNotIsRefusedWithoutItsText() {
        assertEquals("http://p:3128", ProxySettings.show(ProxySettings.parse(" p:3128 ", "--proxy")));
        assertEquals("u", ProxySettings.credentials(ProxySettings.parse("http://u:s@p:3128", "--proxy"))[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxySettings.parse("http://u:se cret@p:3128", "--proxy"));
        assertTrue(e.getMessage().startsWith("--proxy is not a URL (Illegal character"), e.getMessage());
        assertFalse(e.getMessage().contains("cret"), e.getMessage());
        assertNull(e.getCause(), "a cause would carry the text");
    }

    /** "http://user:1234/x@p" parsed, as host "user", port 1234: the sink dialled "user" and logged "user:1234". */
    @Test
    void aPasswordWithAnUnencodedSlashIsRefusedAndAWebSocketUrlLikeItIsNotShown() {
        for (String bad : new String[] {"http://al1ce:1234/x@p:3128", "http://al1ce:1234?x@p:3128",
                "http://al1ce:1234#x@p:3128", "p:3128/path", "socks5://al1ce:1234/x@p:1080"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ProxySettings.parse(bad, "--proxy"), bad);
            assertTrue(e.getMessage().contains("must be percent-encoded"), e.getMessage());
            assertFalse(e.getMessage().contains("1234") || e.getMessage().contains("al1ce"), e.getMessage());
        }
        assertEquals("ws://h:80/events?…", TransportConfig.redact(URI.create("ws://u:s@h:80/events?token=t")));
        String hidden = TransportConfig.redact(URI.create("ws://al1ce:1234/rest@host/"));
        assertTrue(hidden.startsWith("ws://(not shown"), hidden);
        assertFalse(hidden.contains("1234") || hidden.contains("al1ce"), hidden);
        for (String bad : new String[] {"ws://al1ce:1234/rest@host/", "wss://al1ce:1234?x@host/"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TransportConfig.checkUrl(bad), bad);
            assertTrue(e.getMessage().startsWith("URL has an '@' after its host"), e.getMessage());
            assertFalse(e.getMessage().contains("1234") || e.getMessage().contains("al1ce"), e.getMessage());
        }
        assertEquals("ws://h/a%40b", TransportConfig.redact(TransportConfig.checkUrl("ws://h/a%40b")));
    }

    @Test
    void onlyHttpProxiesAreTakenAndTheErrorHidesTheUserInfo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxySettings.of(URI.create("socks5://u:secret@p:1080"), null));
        assertTrue(e.getMessage().contains("http://") && !e.getMessage().contains("secret"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "https://u:secret@p:443")));
        assertTrue(e.getMessage().startsWith("HTTPS_PROXY") && !e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void noProxyWithoutAProxyIsRefusedNotIgnored() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransportConfig.builder().url("ws://x/").proxyFromEnvironment(true).noProxy("a").build());
        assertTrue(e.getMessage().startsWith("noProxy goes with proxy"), e.getMessage());
    }

    @Test
    void theLibraryReadsNoEnvironmentUnlessAsked() {
        assertSame(ProxySettings.NONE, TransportConfig.builder().url("ws://x/").build().proxy());
    }
}
