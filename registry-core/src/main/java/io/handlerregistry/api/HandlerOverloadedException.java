package io.handlerregistry.api;

/**
 * The endpoint's active version already had as many calls inside as its limit allows (and no room
 * to wait, or the call's deadline passed while it waited): the call was refused without reaching
 * the handler. Calls stuck in a handler count against the limit until they return, so that a hung
 * version holds at most that many threads and the other endpoints keep theirs; a version swapped
 * in has places of its own.
 */
public final class HandlerOverloadedException extends HandlerException {
    private static final long serialVersionUID = 1L;

    private final int limit;

    public HandlerOverloadedException(String endpointId, int limit, String message) {
        super(endpointId, message);
        this.limit = limit;
    }

    /** The version's limit of concurrent calls when the call was refused. */
    public int limit() {
        return limit;
    }
}
