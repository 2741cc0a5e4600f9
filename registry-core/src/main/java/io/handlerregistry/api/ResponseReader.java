package io.handlerregistry.api;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Reads a response while its body still lies in the handler's memory, for
 * {@link HandlerRegistry#execute(String, RequestContext, HandlerRequest, ResponseReader)}: a large
 * body can go to its destination (a socket, a file, a parser) without first becoming a
 * {@code byte[]}.
 *
 * @param <T> what the reader makes of the response
 */
@ConsumerType
@FunctionalInterface
public interface ResponseReader<T> {
    /**
     * Reads one response. Runs on the calling thread, inside the call: the version stays loaded
     * and the handler's {@code handler_release} waits until this returns.
     *
     * @param response the status and headers; its {@link HandlerResponse#body()} is empty when
     *                 the body is given as a view
     * @param body     the body, from its position to its limit. Valid only until this method
     *                 returns and only on this thread: where the registry hands out a view of
     *                 native memory (in-process handlers on JDK 22+), read-only, a later read, or
     *                 one from another thread, throws ({@code IllegalStateException},
     *                 {@code WrongThreadException}) instead of reading memory the handler may
     *                 have freed. Elsewhere it is a copy: read-only where it shows memory that is
     *                 not only this read's (a Java handler's answer); writable, with
     *                 {@link ByteBuffer#hasArray() an array}, where the registry made it for this
     *                 read alone (in-process handlers before JDK 22): that array is yours to keep.
     *                 Copy anything else you keep.
     * @return what the caller of {@code execute} gets
     */
    T read(HandlerResponse response, ByteBuffer body);
}
