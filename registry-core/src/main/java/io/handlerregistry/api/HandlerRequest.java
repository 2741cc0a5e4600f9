package io.handlerregistry.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A request to a handler: method, path, query, headers and a binary body. Immutable; the body
 * array is not copied, so do not change it while a call that uses it runs.
 */
public final class HandlerRequest {
    private static final byte[] NO_BODY = new byte[0];

    private final String method;
    private final String path;
    private final String query;
    private final List<Header> headers;
    private final byte[] body;

    private HandlerRequest(String method, String path, String query, List<Header> headers, byte[] body) {
        this.method = method;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.body = body;
    }

    /** A {@code POST /} request with this body and no headers. */
    public static HandlerRequest of(byte[] body) {
        return builder().method("POST").body(body).build();
    }

    /** A {@code POST /} request with this UTF-8 body and no headers. */
    public static HandlerRequest of(String body) {
        return of(body.getBytes(StandardCharsets.UTF_8));
    }

    /** A builder for a {@code GET /} request with no headers and an empty body. */
    public static Builder builder() {
        return new Builder();
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** The raw query string without {@code ?}; empty when there is none. */
    public String query() {
        return query;
    }

    /** The headers, unmodifiable, in the order they were added. */
    public List<Header> headers() {
        return headers;
    }

    /** The body; the array itself, not a copy. */
    public byte[] body() {
        return body;
    }

    @Override
    public String toString() {
        return method + " " + path + (query.isEmpty() ? "" : "?" + query) + " (" + headers.size()
                + " headers, " + body.length + " bytes)";
    }

    /** Builds a {@link HandlerRequest}. */
    public static final class Builder {
        private String method = "GET";
        private String path = "/";
        private String query = "";
        private final List<Header> headers = new ArrayList<>();
        private byte[] body = NO_BODY;

        private Builder() {
        }

        public Builder method(String method) {
            this.method = Objects.requireNonNull(method, "method");
            return this;
        }

        public Builder path(String path) {
            this.path = Objects.requireNonNull(path, "path");
            return this;
        }

        public Builder query(String query) {
            this.query = Objects.requireNonNull(query, "query");
            return this;
        }

        public Builder header(String name, String value) {
            headers.add(new Header(name, value));
            return this;
        }

        public Builder body(byte[] body) {
            this.body = Objects.requireNonNull(body, "body");
            return this;
        }

        public Builder body(String body) {
            return body(body.getBytes(StandardCharsets.UTF_8));
        }

        public HandlerRequest build() {
            return new HandlerRequest(method, path, query, List.copyOf(headers), body);
        }
    }
}
