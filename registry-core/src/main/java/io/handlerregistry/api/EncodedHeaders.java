package io.handlerregistry.api;

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
}
