package io.handlerregistry.api;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Per-call information passed to the handler next to the request: a request id for logs and
 * tracing, and an optional deadline. Immutable.
 */
public final class RequestContext {
    private final long requestId;
    private final long deadlineUnixNanos;

    private RequestContext(long requestId, long deadlineUnixNanos) {
        this.requestId = requestId;
        this.deadlineUnixNanos = deadlineUnixNanos;
    }

    /** A context with this request id and no deadline. */
    public static RequestContext of(long requestId) {
        return new RequestContext(requestId, 0);
    }

    /** A context with a random request id and no deadline. */
    public static RequestContext create() {
        return of(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /**
     * This context with a deadline; the handler sees it as nanoseconds since the epoch. A deadline
     * beyond what that holds (after the year 2262, e.g. {@link Instant#MAX}) is the largest value,
     * one before 1970 is 1 ns after the epoch: long past.
     */
    public RequestContext withDeadline(Instant deadline) {
        return new RequestContext(requestId, toUnixNanos(deadline));
    }

    public long requestId() {
        return requestId;
    }

    /** The deadline in nanoseconds since 1970-01-01 UTC, or 0 when there is none. */
    public long deadlineUnixNanos() {
        return deadlineUnixNanos;
    }

    private static long toUnixNanos(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds < 0) {
            return 1; // 0 would mean "no deadline"
        }
        if (seconds >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, seconds * 1_000_000_000L + instant.getNano());
    }

    @Override
    public String toString() {
        return "request " + Long.toUnsignedString(requestId)
                + (deadlineUnixNanos == 0 ? "" : " deadline " + Instant.ofEpochSecond(0, deadlineUnixNanos));
    }
}
