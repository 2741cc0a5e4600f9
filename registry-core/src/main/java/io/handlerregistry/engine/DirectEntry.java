package io.handlerregistry.engine;

/**
 * Template of the direct-mapped binding of {@code handler_entry}. JNA binds the natives of a class
 * to one library at a time, so {@link DirectBindings} defines a fresh copy of this class for every
 * loaded version. Never used directly.
 */
public final class DirectEntry implements EntryPoint {
    public DirectEntry() {
    }

    private static native int handler_entry(long context, long request, long response);

    @Override
    public int call(long context, long request, long response) {
        return handler_entry(context, request, response);
    }
}
