package io.handlerregistry.api;

import java.util.Objects;

/**
 * One request or response header. Names keep their case; order and duplicates are preserved.
 *
 * @param name  the header name, not null
 * @param value the header value, not null
 */
public record Header(String name, String value) {
    public Header {
        Objects.requireNonNull(name, "header name");
        Objects.requireNonNull(value, "header value");
    }
}
