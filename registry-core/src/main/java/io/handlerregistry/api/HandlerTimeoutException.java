package io.handlerregistry.api;

import java.time.Duration;

/**
 * The call did not return within its timeout. If it had started ({@link #started()}), the native
 * call cannot be interrupted: it goes on, counts as overdue ({@link LoadedHandler#overdueCalls()})
 * and keeps its version of the library loaded until it returns. If it had not started (every thread
 * of the call executor was busy), it never will: it was withdrawn.
 */
public final class HandlerTimeoutException extends HandlerException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;
    private final boolean started;

    /** A timeout of a call that had started. */
    public HandlerTimeoutException(String endpointId, Duration timeout) {
        this(endpointId, timeout, true);
    }

    public HandlerTimeoutException(String endpointId, Duration timeout, boolean started) {
        super(endpointId, started
                ? "handler for endpoint '" + endpointId + "' did not answer within " + timeout.toMillis()
                        + " ms; the call still runs in native code and keeps its library loaded until it returns"
                        + " (handler:info " + endpointId + " counts it as overdue). If it hangs, swap in a fixed"
                        + " version: new calls go there at once"
                : "the call to endpoint '" + endpointId + "' was not started within " + timeout.toMillis()
                        + " ms: every thread of the registry's call executor was busy (calls stuck in handlers"
                        + " hold theirs). It was withdrawn and will not run; handler:list shows the overdue"
                        + " calls, or give the registry a larger call executor");
        this.timeout = timeout;
        this.started = started;
    }

    /** A timeout with a message of the caller's (e.g. saying what process isolation did about it). */
    public HandlerTimeoutException(String endpointId, Duration timeout, boolean started, String message) {
        super(endpointId, message);
        this.timeout = timeout;
        this.started = started;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Whether the call had reached the registry's call path when the timeout passed. */
    public boolean started() {
        return started;
    }
}
