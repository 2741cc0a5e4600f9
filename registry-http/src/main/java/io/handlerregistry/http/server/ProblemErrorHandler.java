package io.handlerregistry.http.server;

import java.nio.ByteBuffer;
import java.util.function.IntSupplier;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty itself answers (a malformed request, headers over the limit, ...) as
 * {@code application/problem+json} too, never an HTML page or a stack trace.
 */
final class ProblemErrorHandler extends ErrorHandler {
    private final IntSupplier maxHeaderBytes;

    ProblemErrorHandler(IntSupplier maxHeaderBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
        setShowStacks(false);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        Problem problem = new Problem(code, detail(code, message), null,
                RequestIds.of(request.getHeaders().get("x-request-id")));
        Exchange.writeProblem(request, response, callback, problem, null, false);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        return ByteBuffer.wrap(new Problem(status, detail(status, reason), null, RequestIds.of(null)).json());
    }

    private String detail(int status, String message) {
        switch (status) {
            case 431:
                return "the request's headers are larger than " + maxHeaderBytes.getAsInt() + " bytes, the limit of the"
                        + " HTTP front (max.request.header.bytes of " + HttpSettings.PID + ")";
            case 400:
                return "the request is not valid HTTP" + (message == null ? "" : ": " + message);
            default:
                return message == null ? "the HTTP front could not answer this request" : message;
        }
    }
}
