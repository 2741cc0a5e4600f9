package io.handlerregistry.http.server;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.handlerregistry.api.Header;
import io.handlerregistry.api.HandlerResponse;

/**
 * One request being answered: exactly one answer goes out, the handler's or an error (a deadline
 * that passed first wins over a late handler, whose answer is then dropped).
 */
final class Exchange {
    /** Headers the front owns: a handler's value for them would break the message framing, or is hop-by-hop. */
    private static final List<String> FRONT_HEADERS = List.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "upgrade", "te", "trailer", "x-request-id");
    /** The characters of an HTTP token (RFC 9110 5.6.2), which a header name is made of. */
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '!'; c < 127; c++) {
            TOKEN[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }
    }

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();
    final String requestId;
    final String endpoint;
    private final Traffic traffic;
    private final ErrorLog errors;
    private final boolean closeAfter;
    private final long timeoutMs;

    Exchange(Request request, Response response, Callback callback, String requestId, String endpoint,
            Traffic traffic, ErrorLog errors, boolean closeAfter, long timeoutMs) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.requestId = requestId;
        this.endpoint = endpoint;
        this.traffic = traffic;
        this.errors = errors;
        this.closeAfter = closeAfter && request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2;
        this.timeoutMs = timeoutMs;
    }

    /** The handler's answer, copied out of its memory into a pooled buffer while the call is still inside. */
    Answer read(HandlerResponse handlerResponse, ByteBuffer body) {
        RetainableByteBuffer.Mutable copy = request.getComponents().getByteBufferPool().acquire(body.remaining(), true);
        copy.add(body);
        return new Answer(handlerResponse.status(), handlerResponse.headers(), copy);
    }

    /** Sends the handler's answer, unless an error was sent already (the buffer then goes back). */
    void answer(Answer answer) {
        if (!answered.compareAndSet(false, true)) {
            answer.body.release();
            return;
        }
        int status = answer.status;
        String invalid = invalidHeader(answer.headers);
        if (status < 200 || invalid != null) {
            answer.body.release();
            sendProblem(new Problem(502, "the handler of endpoint '" + endpoint + "' answered with "
                    + (invalid != null ? invalid : "the informational status " + status + ", which cannot end a request")
                    + ": fix the handler", endpoint, requestId), null);
            return;
        }
        response.setStatus(status);
        HttpFields.Mutable headers = response.getHeaders();
        for (Header header : answer.headers) {
            if (!isFrontHeader(header.name())) {
                headers.add(header.name(), header.value());
            }
        }
        ByteBuffer body = answer.body.getByteBuffer();
        headers.put(HttpHeader.CONTENT_LENGTH, body.remaining());
        frontHeaders(headers);
        traffic.answered(status);
        response.write(true, body, Callback.from(() -> {
            answer.body.release();
            callback.succeeded();
        }, failure -> {
            answer.body.release();
            callback.failed(failure);
        }));
    }

    /** Sends an error, unless something was sent already. */
    void fail(int status, String detail, HttpField extra) {
        if (answered.compareAndSet(false, true)) {
            sendProblem(new Problem(status, detail, endpoint, requestId), extra);
        }
    }

    /** The deadline passed with the handler still inside. */
    void timedOut() {
        fail(504, "endpoint '" + endpoint + "' did not answer within " + timeoutMs + " ms (request.timeout.ms of "
                + HttpSettings.PID + "); its call goes on in the handler and keeps its place until it returns",
                null);
    }

    boolean isAnswered() {
        return answered.get();
    }

    private void sendProblem(Problem problem, HttpField extra) {
        errors.log(problem, request.getMethod(), request.getHttpURI().getPathQuery());
        writeProblem(request, response, callback, problem, extra, closeAfter);
        traffic.answered(problem.status());
    }

    private void frontHeaders(HttpFields.Mutable headers) {
        headers.put("x-request-id", requestId);
        if (closeAfter) {
            headers.put(HttpHeader.CONNECTION, "close");
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

    /** True for a header the front owns, whatever its case (compared without making a lower-case copy). */
    static boolean isFrontHeader(String name) {
        for (String own : FRONT_HEADERS) {
            if (own.length() == name.length() && own.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** What is wrong with the handler's headers for HTTP, or null. */
    static String invalidHeader(List<Header> headers) {
        for (Header header : headers) {
            String name = header.name();
            if (name.isEmpty()) {
                return "a header with an empty name";
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c >= TOKEN.length || !TOKEN[c]) {
                    return "the header name '" + name + "', which is not an HTTP token";
                }
            }
            String value = header.value();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    return "a line break or NUL in the value of header '" + name + "'";
                }
            }
        }
        return null;
    }

    /** A handler's answer, its body in a pooled buffer. */
    record Answer(int status, List<Header> headers, RetainableByteBuffer body) {
    }
}
