package io.handlerregistry.api;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A response's headers as the handler wrote them, in UTF-8, not decoded
 * ({@link HandlerResponse#encodedHeaders()}): the names and values back to back, in the handler's
 * order, and the length of each. The arrays are the caller's own copy.
 *
 * @param bytes   name, value, name, value, ... back to back
 * @param lengths the length of each of those: {@code lengths[2 * i]} the name of header {@code i},
 *                {@code lengths[2 * i + 1]} its value
 */
public record EncodedHeaders(byte[] bytes, int[] lengths) {
    /** How many headers there are. */
    public int count() {
        return lengths.length / 2;
    }

    /** The headers decoded from UTF-8, in order: a string per name and value. */
    public List<Header> decode() {
        Header[] list = new Header[count()];
        int at = 0;
        for (int i = 0; i < list.length; i++) {
            int name = lengths[2 * i];
            int value = lengths[2 * i + 1];
            list[i] = new Header(new String(bytes, at, name, StandardCharsets.UTF_8),
                    new String(bytes, at + name, value, StandardCharsets.UTF_8));
            at += name + value;
        }
        return List.of(list);
    }
}
