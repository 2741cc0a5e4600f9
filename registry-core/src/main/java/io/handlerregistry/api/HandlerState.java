package io.handlerregistry.api;

/** Life cycle of one loaded version of a handler. */
public enum HandlerState {
    /** Takes new requests. */
    ACTIVE,
    /** Replaced or unloaded: takes no new request, waits for its in-flight requests to return. */
    DRAINING,
    /** No request left inside it; its library is unloaded (or about to be, by cleanup). */
    DRAINED,
    /**
     * Unloaded by the registry, but the platform loader keeps its library mapped: a thread-local
     * with a destructor holds it while a thread that called it lives (see handler.h). It goes once
     * those threads ended.
     */
    PINNED,
    /**
     * Runs in {@link Isolation#PROCESS process isolation} and its workers crashed too often (see
     * {@link WorkerStatus}): it is no longer restarted and its calls fail with a
     * {@link HandlerCrashedException} until a fixed version is swapped in.
     */
    FAILED
}
