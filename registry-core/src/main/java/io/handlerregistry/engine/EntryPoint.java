package io.handlerregistry.engine;

/**
 * {@code handler_entry} of one loaded library, bound with JNA direct mapping. Public only because
 * each version's binding class is defined by its own class loader (see {@link DirectBindings}).
 */
public interface EntryPoint {
    /** Calls {@code handler_entry(ctx, req, resp)}; the arguments are native addresses. */
    int call(long context, long request, long response);
}
