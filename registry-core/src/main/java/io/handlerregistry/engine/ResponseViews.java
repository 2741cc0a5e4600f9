package io.handlerregistry.engine;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.spi.Handler;

/**
 * A {@link Handler} whose responses lie in native memory until it releases them: it hands each one
 * to a {@link ResponseReader} before that, so that the reader can read the body where it lies. The
 * registry gives a reader a copy from any other handler.
 */
public interface ResponseViews extends Handler {
    /**
     * Serves one request and hands the response to {@code reader} before releasing it (see
     * {@link io.handlerregistry.api.HandlerRegistry#execute(String, RequestContext, HandlerRequest, ResponseReader)}).
     *
     * @return what the reader returned
     */
    <T> T read(RequestContext context, HandlerRequest request, ResponseReader<T> reader);
}
