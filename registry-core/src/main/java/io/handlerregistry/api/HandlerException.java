package io.handlerregistry.api;

/**
 * Base of everything the registry throws about handlers. Messages name the endpoint, the file
 * where one is involved, and what to do next.
 */
public class HandlerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String endpointId;

    public HandlerException(String endpointId, String message) {
        this(endpointId, message, null);
    }

    public HandlerException(String endpointId, String message, Throwable cause) {
        super(message, cause);
        this.endpointId = endpointId;
    }

    /** The endpoint this is about. */
    public String endpointId() {
        return endpointId;
    }
}
