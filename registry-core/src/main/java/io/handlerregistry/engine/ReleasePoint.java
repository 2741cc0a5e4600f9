package io.handlerregistry.engine;

/** {@code handler_release} of one loaded library; see {@link EntryPoint}. */
public interface ReleasePoint {
    /** Calls {@code handler_release(resp)}. */
    void release(long response);
}
