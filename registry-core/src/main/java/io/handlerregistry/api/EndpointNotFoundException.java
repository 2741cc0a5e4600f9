package io.handlerregistry.api;

/** No version of the endpoint is loaded (never was, or it was unloaded). */
public final class EndpointNotFoundException extends HandlerException {
    private static final long serialVersionUID = 1L;

    public EndpointNotFoundException(String endpointId) {
        super(endpointId, "no handler is loaded for endpoint '" + endpointId
                + "': check the id, or deploy a handler bundle for it (or load its library)");
    }
}
