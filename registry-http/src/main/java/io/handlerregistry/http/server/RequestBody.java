package io.handlerregistry.http.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.IO;

/**
 * Reads a request's body into an array of its own, within a bound, on the calling thread (the call
 * that needs it runs there next anyway). Straight from Jetty's chunks: a body that came with its
 * headers, as most small ones do, costs one array and one copy, without an input stream and its
 * blocker around it.
 */
final class RequestBody {
    private static final byte[] NO_BODY = new byte[0];
    /** A body too large is read up to this much, and dropped, so that its client reads the 413 instead of a reset. */
    private static final long DISCARD_BYTES = 16L << 20;

    private RequestBody() {
    }

    /**
     * The body, or null if it is larger than {@code max} bytes (then it is not read at all when the
     * client waits for {@code 100 Continue}, else read and dropped up to {@link #DISCARD_BYTES}: as
     * nginx lingers, so that the client, still sending it, reads the answer instead of a reset; a
     * longer one is left unread and its connection closed after the answer).
     *
     * @throws IOException the body could not be read: its stream or connection ended, or it broke the
     *                     HTTP framing
     */
    static byte[] read(Request request, int max) throws IOException {
        long length = request.getLength();
        if (length > max) {
            if (!request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
                discard(request);
            }
            return null;
        }
        if (length == 0) {
            return NO_BODY;
        }
        return length > 0 ? readKnown(request, (int) length) : readChunked(request, max);
    }

    /**
     * A body of {@code length} bytes (its Content-Length): read until it is whole, not until the last
     * chunk, which HTTP/1.1 may bring only on a later read (waiting for it would cost a wake-up).
     */
    private static byte[] readKnown(Content.Source source, int length) throws IOException {
        byte[] body = new byte[length];
        int at = 0;
        while (at < length) {
            Content.Chunk chunk = next(source);
            ByteBuffer bytes = chunk.getByteBuffer();
            int n = Math.min(bytes.remaining(), length - at); // Jetty never gives more than the Content-Length
            bytes.get(body, at, n);
            at += n;
            chunk.release();
            if (chunk.isLast()) {
                break;
            }
        }
        if (at < length) {
            // its stream or connection ended (a body cut short on a live HTTP/1 connection is Jetty's Early EOF: 400)
            throw new EofException("the request body ended after " + at + " of its " + length + " bytes");
        }
        return body;
    }

    /** A body without a length (chunked, or an HTTP/2 stream without content-length), or null past {@code max}. */
    private static byte[] readChunked(Content.Source source, int max) throws IOException {
        byte[] body = NO_BODY;
        int at = 0;
        for (;;) {
            Content.Chunk chunk = next(source);
            ByteBuffer bytes = chunk.getByteBuffer();
            int n = bytes.remaining();
            if (n > max - at) {
                chunk.release();
                if (!chunk.isLast()) {
                    discard(source);
                }
                return null;
            }
            if (n > body.length - at) {
                // exactly the first chunk's size when it is the whole body, else doubling
                body = Arrays.copyOf(body, chunk.isLast() && at == 0 ? n : (int) Math.min(max, Math.max(at + n, 2L * body.length)));
            }
            bytes.get(body, at, n);
            at += n;
            chunk.release();
            if (chunk.isLast()) {
                break;
            }
        }
        return at == 0 ? NO_BODY : at == body.length ? body : Arrays.copyOf(body, at);
    }

    /** Reads and drops what is left of a body, up to {@link #DISCARD_BYTES}. */
    private static void discard(Content.Source source) throws IOException {
        long left = DISCARD_BYTES;
        while (left > 0) {
            Content.Chunk chunk = next(source);
            left -= chunk.remaining();
            chunk.release();
            if (chunk.isLast()) {
                return;
            }
        }
    }

    /** The next chunk that has bytes or is the last, waiting for it if none is there yet. */
    private static Content.Chunk next(Content.Source source) throws IOException {
        for (;;) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                try (Blocker.Runnable arrived = Blocker.runnable()) {
                    source.demand(arrived);
                    arrived.block();
                }
                continue;
            }
            if (Content.Chunk.isFailure(chunk)) {
                throw IO.rethrow(chunk.getFailure());
            }
            if (chunk.hasRemaining() || chunk.isLast()) {
                return chunk;
            }
            chunk.release();
        }
    }
}
