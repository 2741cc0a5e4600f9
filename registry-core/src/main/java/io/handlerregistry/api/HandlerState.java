package io.handlerregistry.api;

/** Life cycle of one loaded version of a handler. */
public enum HandlerState {
    /** Takes new requests. */
    ACTIVE,
    /** Replaced or unloaded: takes no new request, waits for its in-flight requests to return. */
    DRAINING,
    /** No request left inside it; its library is unloaded (or about to be, by cleanup). */
    DRAINED
}
