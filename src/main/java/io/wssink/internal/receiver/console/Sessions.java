package io.wssink.internal.receiver.console;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Browser sessions of the console when the receiver needs a token: a random cookie value stands for the token the
 * person typed, so the token itself never travels again nor sits in the browser. The token is checked again at every
 * request, so a token removed from --token-file ends its sessions. Bounded: the oldest session goes first.
 * Thread-safe (guarded by this).
 */
final class Sessions {
    static final String COOKIE = "wssink_console";
    private static final int MAX = 256;

    private final SecureRandom random = new SecureRandom();
    private final Map<String, String> authorizations = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX;
        }
    };

    /** Starts a session for {@code authorization} (an "Authorization: Bearer" value); returns the cookie value. */
    synchronized String start(String authorization) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        authorizations.put(id, authorization);
        return id;
    }

    /** The authorization a session stands for, or null. */
    synchronized String authorization(String id) {
        return id == null ? null : authorizations.get(id);
    }
}
