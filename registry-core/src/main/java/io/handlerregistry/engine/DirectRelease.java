package io.handlerregistry.engine;

/** Template of the direct-mapped binding of {@code handler_release}; see {@link DirectEntry}. */
public final class DirectRelease implements ReleasePoint {
    public DirectRelease() {
    }

    private static native void handler_release(long response);

    @Override
    public void release(long response) {
        handler_release(response);
    }
}
