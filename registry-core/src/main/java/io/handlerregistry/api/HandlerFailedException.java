package io.handlerregistry.api;

/** The handler returned a non-zero code from {@code handler_entry}: it produced no response. */
public final class HandlerFailedException extends HandlerException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String handlerMessage;

    public HandlerFailedException(String endpointId, int code, String handlerMessage) {
        super(endpointId, "handler for endpoint '" + endpointId + "' failed with code " + code
                + (handlerMessage.isEmpty() ? " (it gave no message)" : ": " + handlerMessage));
        this.code = code;
        this.handlerMessage = handlerMessage;
    }

    /** The non-zero code {@code handler_entry} returned. */
    public int code() {
        return code;
    }

    /** The handler's {@code error_message}, or empty when it set none. */
    public String handlerMessage() {
        return handlerMessage;
    }
}
