package io.handlerregistry.http.server;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.function.IntSupplier;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty itself answers (a malformed request, headers over the limit, ...) as
 * {@code application/problem+json} too, never an HTML page or a stack trace.
 */
final class ProblemErrorHandler extends ErrorHandler {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    private final IntSupplier maxHeaderBytes;
    private final Traffic traffic;
    private final ErrorLog errors;

    ProblemErrorHandler(IntSupplier maxHeaderBytes, Traffic traffic, ErrorLog errors) {
        this.maxHeaderBytes = maxHeaderBytes;
        this.traffic = traffic;
        this.errors = errors;
        setShowStacks(false);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        if (Exchange.cannotAnswer(request) || Exchange.wentAway(cause)) {
            // nothing can go out (an HTTP/2 client that reset its connection with streams in flight leaves the
            // connection open here a moment longer): not counted as an answer, and no server error
            LOG.log(Level.DEBUG, () -> "HTTP front: no answer to " + request.getMethod() + " "
                    + request.getHttpURI().getPath() + ": the client went away (" + cause + ")");
            callback.failed(cause != null ? cause : new EofException("the connection's output is shut down"));
            return;
        }
        Problem problem = new Problem(code, detail(code, message), null,
                RequestIds.of(request.getHeaders().get("x-request-id")));
        traffic.answered(code);
        errors.log(problem, request.getMethod(), request.getHttpURI().getPath());
        Exchange.writeProblem(request, response, callback, problem, null, false);
    }

    /** A request Jetty's parser refused before it became one (headers too large, not HTTP). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        Problem problem = new Problem(status, detail(status, reason), null, RequestIds.of(null));
        traffic.answered(status);
        errors.log(problem, "-", "-");
        return ByteBuffer.wrap(problem.json());
    }

    private String detail(int status, String message) {
        switch (status) {
            case 431:
                return Failures.headersTooLargeDetail(maxHeaderBytes.getAsInt());
            case 400:
                return "the request is not valid HTTP" + (message == null ? "" : ": " + message);
            default:
                return message == null ? "the HTTP front could not answer this request" : message;
        }
    }
}
