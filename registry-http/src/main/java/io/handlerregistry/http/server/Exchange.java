package io.handlerregistry.http.server;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

import io.handlerregistry.api.EncodedHeaders;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.ResponseReader;

/**
 * One request being answered: exactly one answer goes out, the handler's or an error (a deadline
 * that passed first wins over a late handler, whose answer is then dropped). It is what the call
 * is handed to note the version that took it and to read the answer, so that a request costs no
 * lambdas for them.
 */
final class Exchange implements Consumer<LoadedHandler>, ResponseReader<Exchange.Answer> {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    /** Headers the front owns: a handler's value for them would break the message framing, or is hop-by-hop. */
    private static final List<String> FRONT_HEADERS = List.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "upgrade", "te", "trailer", "x-request-id");
    /** Bodies up to this size are copied into an array of their own, larger ones into a pooled buffer. */
    private static final int SMALL_BODY_BYTES = 8192;
    private static final HttpField RETRY_AFTER = new HttpField(HttpHeader.RETRY_AFTER, "1");

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();
    final String requestId;
    final String endpoint;
    private final Traffic traffic;
    private final AnswerFields fields;
    private final ErrorLog errors;
    private final boolean closeAfter;
    private final long timeoutMs;
    private final long arrived;
    /** The generation of the version that took the call; 0 until one did. */
    private volatile long generation;

    /** @param arrived when the request came in ({@link Traffic#arrival()}) */
    Exchange(Request request, Response response, Callback callback, String requestId, String endpoint,
            Traffic traffic, AnswerFields fields, ErrorLog errors, boolean closeAfter, long timeoutMs, long arrived) {
        this.arrived = arrived;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.requestId = requestId;
        this.endpoint = endpoint;
        this.traffic = traffic;
        this.fields = fields;
        this.errors = errors;
        this.closeAfter = closeAfter && request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2;
        this.timeoutMs = timeoutMs;
    }

    /** A version took the call: the answer, whichever it is, counts for it. */
    @Override
    public void accept(LoadedHandler version) {
        generation = version.generation();
    }

    /**
     * The handler's answer, copied out of its memory while the call is still inside: a small body into
     * an array of its own (cheaper than a pooled buffer's two atomic hand-overs), a larger one into a
     * pooled buffer; a body the registry copied for this read alone (one with an array, see
     * {@link ResponseReader}) is kept as it is.
     */
    @Override
    public Answer read(HandlerResponse handlerResponse, ByteBuffer body) {
        RetainableByteBuffer copy;
        if (body.hasArray()) {
            copy = RetainableByteBuffer.wrap(body);
        } else if (body.remaining() <= SMALL_BODY_BYTES) {
            byte[] bytes = new byte[body.remaining()];
            body.get(bytes);
            copy = RetainableByteBuffer.wrap(ByteBuffer.wrap(bytes));
        } else {
            RetainableByteBuffer.Mutable pooled = request.getComponents().getByteBufferPool().acquire(body.remaining(),
                    true);
            pooled.add(body);
            copy = pooled;
        }
        return new Answer(handlerResponse.status(), handlerResponse.encodedHeaders(), copy);
    }

    /** Sends the handler's answer, unless an error was sent already (the buffer then goes back). */
    void answer(Answer answer) {
        if (!answered.compareAndSet(false, true)) {
            answer.body.release();
            return;
        }
        int status = answer.status;
        HttpFields.Mutable headers = response.getHeaders();
        Problem unfit = Failures.unfit(status, status < 200 ? null : fields.add(answer.headers, headers),
                endpoint, requestId);
        if (unfit != null) {
            answer.body.release();
            sendProblem(unfit, null);
            return;
        }
        response.setStatus(status);
        ByteBuffer body = answer.body.getByteBuffer();
        headers.add(HttpHeader.CONTENT_LENGTH, body.remaining()); // added, not put: the handler's own were left out
        frontHeaders(headers);
        traffic.answered(endpoint, generation, status, arrived);
        response.write(true, body, new Written(answer));
    }

    /** Sends an error (a 503 with Retry-After), unless something was sent already. */
    void fail(Problem problem) {
        if (answered.compareAndSet(false, true)) {
            sendProblem(problem, problem.status() == 503 ? RETRY_AFTER : null);
        }
    }

    /**
     * The client went away before its request could be answered (its body could not be read): no
     * answer goes out and none is counted; Jetty hears of the failure.
     */
    void abandon(Throwable failure) {
        if (answered.compareAndSet(false, true)) {
            LOG.log(Level.DEBUG, () -> "HTTP front: no answer to request " + requestId + " for endpoint '" + endpoint
                    + "': the client went away (" + failure + ")");
            callback.failed(failure);
        }
    }

    /** The deadline passed with the handler still inside. */
    void timedOut() {
        fail(Failures.timedOut(timeoutMs, endpoint, requestId));
    }

    boolean isAnswered() {
        return answered.get();
    }

    private void sendProblem(Problem problem, HttpField extra) {
        errors.log(problem, request.getMethod(), request.getHttpURI().getPathQuery());
        traffic.answered(endpoint, generation, problem.status(), arrived); // before it can reach the client, as answers
        writeProblem(request, response, callback, problem, extra, closeAfter);
    }

    private void frontHeaders(HttpFields.Mutable headers) {
        headers.add("x-request-id", requestId);
        if (closeAfter) {
            headers.add(HttpHeader.CONNECTION, "close");
        }
    }

    /** Writes a problem answer; also for errors found before there is an exchange. */
    static void writeProblem(Request request, Response response, Callback callback, Problem problem, HttpField extra,
            boolean closeAfter) {
        response.setStatus(problem.status());
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
        headers.put("x-request-id", problem.requestId());
        if (extra != null) {
            headers.put(extra);
        }
        if (closeAfter && request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2) {
            headers.put(HttpHeader.CONNECTION, "close");
        }
        byte[] json = problem.json();
        headers.put(HttpHeader.CONTENT_LENGTH, json.length);
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    /** True when no answer can reach the client any more: the connection is closed or its output shut down. */
    static boolean cannotAnswer(Request request) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        return !endPoint.isOpen() || endPoint.isOutputShutdown();
    }

    /**
     * True if the failure is the end of the request's connection: the client closed or reset it. Not
     * an end Jetty wants answered with a status (an HTTP/1 body cut short, "Early EOF", is a 400).
     */
    static boolean wentAway(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EofException) {
                return !(t instanceof HttpException);
            }
        }
        return false;
    }

    /** True for a header the front owns, whatever its case (compared without making a lower-case copy). */
    static boolean isFrontHeader(String name) {
        for (String own : FRONT_HEADERS) {
            if (own.length() == name.length() && own.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The end of writing a handler's answer: its buffer goes back, and Jetty hears of it. NON_BLOCKING:
     * Jetty may complete it where the write completes (a BLOCKING callback would make an HTTP/2
     * session's flusher hand its completion to another thread).
     */
    private final class Written implements Callback {
        private final Answer answer;

        Written(Answer answer) {
            this.answer = answer;
        }

        @Override
        public void succeeded() {
            answer.body.release();
            callback.succeeded();
        }

        @Override
        public void failed(Throwable failure) {
            answer.body.release();
            LOG.log(Level.DEBUG, () -> "HTTP front: the answer " + answer.status + " of endpoint '" + endpoint
                    + "' to request " + requestId + " could not be written (" + failure + "): the client went away or"
                    + " its connection was closed");
            callback.failed(failure);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    }

    /** A handler's answer: its headers as the handler wrote them, its body in a buffer of the front's. */
    record Answer(int status, EncodedHeaders headers, RetainableByteBuffer body) {
    }
}
