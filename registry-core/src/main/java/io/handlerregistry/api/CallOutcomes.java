package io.handlerregistry.api;

/**
 * How the calls of one loaded version ended so far, for metrics: each call made on it is counted once,
 * by how it ended ({@link #ok}, {@link #handlerErrors}, {@link #crashed}), and calls that never got in are
 * counted as {@link #overloaded}. {@link #timedOut} counts callers of {@code executeWithTimeout} that
 * stopped waiting: a call of theirs that had started is also counted by how it ended, when it does.
 *
 * @param ok            calls that returned an answer
 * @param handlerErrors calls that ended in a handler error (a non-zero code, an answer that broke the ABI,
 *                      an exception of a Java handler), crashes not included
 * @param crashed       calls that failed because their worker process ended while they were inside
 *                      ({@link HandlerCrashedException}, process isolation)
 * @param timedOut      callers that stopped waiting for a call ({@link HandlerTimeoutException})
 * @param overloaded    calls refused without starting ({@link HandlerOverloadedException})
 */
public record CallOutcomes(long ok, long handlerErrors, long crashed, long timedOut, long overloaded) {

    /** Nothing counted. */
    public static final CallOutcomes NONE = new CallOutcomes(0, 0, 0, 0, 0);
}
