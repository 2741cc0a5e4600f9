package io.handlerregistry.spi;

import org.osgi.annotation.versioning.ConsumerType;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.RequestContext;

/**
 * Serves the requests of one endpoint. The registry calls native handler libraries through this
 * interface, and in an OSGi framework any bundle may register one as a service (with the
 * {@value #ENDPOINT} property) to serve an endpoint, in Java or by wrapping a native library
 * (see {@code io.handlerregistry.bundle.NativeHandlerActivator}). Outside OSGi, hand one to
 * {@code io.handlerregistry.engine.NativeHandlerRegistry#swap(String, Handler, String, String)}.
 *
 * <p>Implementations must be safe to call from many threads at once. A handler that holds native
 * resources must not release them while a call is inside, even after its service was
 * unregistered: the registry stops sending new calls at once, but calls already started finish.
 */
@ConsumerType
public interface Handler {
    /** Service property: the endpoint id the handler serves (required). */
    String ENDPOINT = "handler.endpoint";
    /** Service property: the handler's version, e.g. the version of the bundle that provides it. */
    String VERSION = "handler.version";

    /**
     * Serves one request.
     *
     * @throws HandlerException when the handler failed to produce a response; any other
     *                          runtime exception is reported to the caller as it is
     */
    HandlerResponse handle(RequestContext context, HandlerRequest request);
}
