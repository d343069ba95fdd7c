package io.wssink.internal.receiver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The bearer tokens the receiver accepts, and the streams each may write: one token, or a token file re-read when it
 * changes. A token file holds one token per line, then optionally the stream ids (UUIDs) it may write:
 * <pre>
 * # comment
 * s3cr3t-of-the-billing-host   6f1c0e56-3c61-4c4e-9f5e-0d8f3a51d2a7
 * s3cr3t-of-the-ops-team       *
 * </pre>
 * A token with no stream, or with {@code *}, may write any stream and use raw mode; a token with streams may write
 * only those, and no raw mode (raw events have no stream). The scheme {@code Bearer} is matched in any case; tokens
 * are compared in constant time, against every entry, so timing says nothing about a guess. Thread-safe.
 */
final class TokenFile {
    private static final Logger log = LoggerFactory.getLogger(TokenFile.class);

    /** What a token may do: null streams means any stream and raw mode. */
    record Grant(Set<String> streams) {
        boolean allows(String stream) {
            return streams == null || streams.contains(stream);
        }

        boolean allowsRaw() {
            return streams == null;
        }

        /** {@link #allows} for a wssink.v1 connection's {@code stream}, {@link #allowsRaw} for a raw one's (null). */
        boolean permits(String stream) {
            return stream != null ? allows(stream) : allowsRaw();
        }
    }

    private record Entry(byte[] token, Grant grant) {
    }

    /** The version of a token file that is not there. */
    private static final Object GONE = new Object();
    /**
     * How often the file is looked at again, at most: every handshake asks, and every open connection at each ack
     * tick (128 connections at 100 ms: 1,280 stats a second on the receiver's one event loop, which a token file on a
     * network file system could stall).
     */
    private static final long RECHECK_NANOS = 100_000_000L;

    private final Path file;
    // guarded by this
    private List<Entry> entries;
    private Object version;
    private long checkedAtNanos = System.nanoTime();

    private TokenFile(Path file, List<Entry> entries, Object version) {
        this.file = file;
        this.entries = entries;
        this.version = version;
    }

    /** One token that may write any stream. */
    static TokenFile single(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the token is empty: give a non-empty token, or none to accept anyone");
        }
        return new TokenFile(null, List.of(new Entry(token.getBytes(StandardCharsets.UTF_8), new Grant(null))), null);
    }

    /**
     * Reads a token file.
     *
     * @throws IOException that names the line at fault, never a token
     */
    static TokenFile read(Path file) throws IOException {
        Object version = version(file);
        return new TokenFile(file, parse(file), version);
    }

    private static Object version(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return List.of(a.lastModifiedTime(), a.size(), a.fileKey() == null ? "" : a.fileKey());
    }

    private static List<Entry> parse(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+");
            Set<String> streams = null;
            if (words.length > 1 && !(words.length == 2 && words[1].equals("*"))) {
                List<String> ids = new ArrayList<>();
                for (int w = 1; w < words.length; w++) {
                    String id = StreamIds.parse(words[w]);
                    if (id == null) {
                        throw new IOException(file + " line " + (i + 1) + ": after the token come stream ids (UUIDs)"
                                + " or *; word " + (w + 1) + " is neither");
                    }
                    ids.add(id);
                }
                streams = Set.copyOf(ids);
            }
            entries.add(new Entry(words[0].getBytes(StandardCharsets.UTF_8), new Grant(streams)));
        }
        if (entries.isEmpty()) {
            throw new IOException(file + " holds no token: every handshake would get 401; add a line per token");
        }
        return List.copyOf(entries);
    }

    /**
     * Re-reads the file if it changed since it was read. Whatever the file says now is what holds: emptied of tokens,
     * removed, or holding a line that cannot be read, it lets no token in (every handshake gets 401, open connections
     * close at their next ack tick, sinks keep their events and retry) until it is fixed, and the log says why, once
     * per change. Until session 12 any failed re-read kept the tokens from before: emptying or removing the file,
     * or removing a leaked token's line in an edit with a typo elsewhere, revoked nothing.
     */
    private synchronized List<Entry> current() {
        long nanos = System.nanoTime();
        if (file == null || nanos - checkedAtNanos < RECHECK_NANOS) {
            return entries;
        }
        checkedAtNanos = nanos;
        Object now;
        try {
            now = version(file);
        } catch (IOException e) {
            now = GONE; // NoSuchFileException, or a file that cannot be read: either way no token is taken
        }
        if (now.equals(version)) {
            return entries;
        }
        version = now;
        if (now == GONE) {
            entries = List.of();
            log.warn("the token file {} is gone: no token is taken until it is back", file);
            return entries;
        }
        try {
            entries = parse(file);
            log.info("re-read the token file {}: {} tokens", file, entries.size());
        } catch (IOException e) {
            entries = List.of();
            log.error("cannot re-read the token file ({}): no token is taken until it is fixed", e.getMessage());
        }
        return entries;
    }

    /** Whether what this takes can change while the receiver runs (a token file), and so must be checked again. */
    boolean canChange() {
        return file != null;
    }

    /**
     * What the bearer of {@code authorization} (the header's value) may do.
     *
     * @return null when it holds no valid token
     */
    Grant check(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space <= 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return null;
        }
        byte[] given = value.substring(space + 1).strip().getBytes(StandardCharsets.UTF_8);
        if (given.length == 0) {
            return null;
        }
        Grant found = null;
        for (Entry e : current()) { // every entry, whatever matched: the time taken says nothing
            if (MessageDigest.isEqual(e.token(), given) && found == null) {
                found = e.grant();
            }
        }
        return found;
    }
}
