package io.handlerregistry.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a handler answered: a status, headers and a binary body. Immutable. */
public final class HandlerResponse {
    private static final int[] NO_LENGTHS = new int[0];

    private final int status;
    private volatile List<Header> headers; // null until decoded from the bytes below
    private final byte[] headerBytes;
    private final int[] headerLengths;
    private final byte[] body;

    /**
     * @param status  the status the handler reported (HTTP-like, 200 unless it set another)
     * @param headers the headers, copied
     * @param body    the body; the array is kept, not copied
     */
    public HandlerResponse(int status, List<Header> headers, byte[] body) {
        this.status = status;
        this.headers = List.copyOf(headers);
        this.headerBytes = null;
        this.headerLengths = NO_LENGTHS;
        this.body = Objects.requireNonNull(body, "body");
    }

    private HandlerResponse(int status, byte[] headerBytes, int[] headerLengths, byte[] body) {
        this.status = status;
        this.headerBytes = headerBytes;
        this.headerLengths = headerLengths;
        this.body = Objects.requireNonNull(body, "body");
    }

    /**
     * A response whose headers stay bytes until they are asked for: a caller that only passes the
     * body on never pays for decoding them.
     *
     * @param headerBytes   the names and values, UTF-8, back to back: name, value, name, value, ...; kept
     * @param headerLengths the length of each of those, in the same order (two per header); kept
     * @param body          the body; the array is kept, not copied
     * @throws IllegalArgumentException if the lengths do not add up to the bytes
     */
    public static HandlerResponse withEncodedHeaders(int status, byte[] headerBytes, int[] headerLengths,
            byte[] body) {
        long total = 0;
        for (int length : headerLengths) {
            if (length < 0) {
                throw new IllegalArgumentException("a header length is negative: " + length);
            }
            total += length;
        }
        if (headerLengths.length % 2 != 0 || total != headerBytes.length) {
            throw new IllegalArgumentException(headerLengths.length + " header lengths adding up to " + total
                    + " for " + headerBytes.length + " bytes: give a name and a value length per header");
        }
        return new HandlerResponse(status, headerBytes, headerLengths, body);
    }

    public int status() {
        return status;
    }

    /** The headers, in the handler's order (decoded from UTF-8 on the first call). */
    public List<Header> headers() {
        List<Header> decoded = headers;
        if (decoded == null) {
            decoded = new EncodedHeaders(headerBytes, headerLengths).decode(); // no copy: not handed out
            headers = decoded; // the same list whichever thread decodes it first
        }
        return decoded;
    }

    /**
     * The headers as UTF-8 bytes, without decoding them: what a caller that passes them on as bytes
     * (an HTTP front) needs, at the cost of a copy instead of a string per name and value.
     *
     * @return a copy: the names and values back to back (name, value, name, value, ...) and the length
     *         of each, in the handler's order
     */
    public EncodedHeaders encodedHeaders() {
        if (headerBytes != null) {
            return new EncodedHeaders(headerBytes.clone(), headerLengths.clone());
        }
        List<Header> decoded = headers;
        int[] lengths = new int[2 * decoded.size()];
        byte[][] parts = new byte[lengths.length][];
        int total = 0;
        for (int i = 0; i < decoded.size(); i++) {
            parts[2 * i] = decoded.get(i).name().getBytes(StandardCharsets.UTF_8);
            parts[2 * i + 1] = decoded.get(i).value().getBytes(StandardCharsets.UTF_8);
        }
        for (int i = 0; i < parts.length; i++) {
            lengths[i] = parts[i].length;
            total += lengths[i];
        }
        byte[] bytes = new byte[total];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, bytes, at, part.length);
            at += part.length;
        }
        return new EncodedHeaders(bytes, lengths);
    }

    /** How many headers there are, without decoding them. */
    public int headerCount() {
        List<Header> decoded = headers;
        return decoded != null ? decoded.size() : headerLengths.length / 2;
    }

    /** The first value of the named header (case-insensitive), if any. */
    public Optional<String> header(String name) {
        for (Header h : headers()) {
            if (h.name().equalsIgnoreCase(name)) {
                return Optional.of(h.value());
            }
        }
        return Optional.empty();
    }

    /** The body; the array itself, not a copy. */
    public byte[] body() {
        return body;
    }

    /** The body decoded as UTF-8. */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return status + " (" + headerCount() + " headers, " + body.length + " bytes)";
    }
}
