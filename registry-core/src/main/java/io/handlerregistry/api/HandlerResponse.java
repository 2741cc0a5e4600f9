package io.handlerregistry.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a handler answered: a status, headers and a binary body. Immutable. */
public final class HandlerResponse {
    private final int status;
    private final List<Header> headers;
    private final byte[] body;

    /**
     * @param status  the status the handler reported (HTTP-like, 200 unless it set another)
     * @param headers the headers, copied
     * @param body    the body; the array is kept, not copied
     */
    public HandlerResponse(int status, List<Header> headers, byte[] body) {
        this.status = status;
        this.headers = List.copyOf(headers);
        this.body = Objects.requireNonNull(body, "body");
    }

    public int status() {
        return status;
    }

    public List<Header> headers() {
        return headers;
    }

    /** The first value of the named header (case-insensitive), if any. */
    public Optional<String> header(String name) {
        for (Header h : headers) {
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
        return status + " (" + headers.size() + " headers, " + body.length + " bytes)";
    }
}
