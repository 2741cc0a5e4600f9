package io.handlerregistry.api;

import java.time.Duration;

/**
 * The call did not return within its timeout. The native call itself cannot be interrupted: it
 * goes on, and its version of the library stays loaded until it returns.
 */
public final class HandlerTimeoutException extends HandlerException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public HandlerTimeoutException(String endpointId, Duration timeout) {
        super(endpointId, "handler for endpoint '" + endpointId + "' did not answer within " + timeout.toMillis()
                + " ms; the call still runs in native code and keeps its library loaded until it returns");
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
