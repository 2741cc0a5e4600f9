package io.handlerregistry.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Proof that one request is in flight on a {@link LoadedHandler}: while any guard is open, the
 * handler's library stays loaded. Close it exactly when the request left native code; closing
 * twice has no further effect.
 */
@ProviderType
public interface RequestGuard extends AutoCloseable {
    @Override
    void close();
}
