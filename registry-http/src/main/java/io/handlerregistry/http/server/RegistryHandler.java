package io.handlerregistry.http.server;

import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.InvalidEndpointIdException;
import io.handlerregistry.api.RequestContext;

/**
 * Answers an HTTP request with an endpoint of the registry: routes it, bounds it, maps it to a
 * {@link HandlerRequest} (method, raw path and query, every header in order, the body), calls the
 * endpoint on this thread with the request's deadline, and writes the handler's status, headers and
 * body; every failure becomes an {@code application/problem+json} answer naming the endpoint and
 * the request id. Calls run on the server's platform threads: an in-process native call would pin a
 * virtual thread's carrier for as long as it runs.
 */
final class RegistryHandler extends Handler.Abstract {
    private final HandlerRegistry registry;
    private final Traffic traffic;
    private final Watchdog watchdog;
    private final ErrorLog errors;
    private final AnswerFields fields = new AnswerFields();
    private volatile HttpSettings settings;
    private volatile boolean stopping;
    private volatile boolean closing;
    private final AtomicInteger answering = new AtomicInteger();

    RegistryHandler(HandlerRegistry registry, HttpSettings settings, Traffic traffic, Watchdog watchdog,
            ErrorLog errors) {
        super(InvocationType.BLOCKING);
        this.registry = registry;
        this.settings = settings;
        this.traffic = traffic;
        this.watchdog = watchdog;
        this.errors = errors;
    }

    void settings(HttpSettings next) {
        settings = next;
    }

    /** From now on every answer closes its HTTP/1 connection (HTTP/2 sessions get GOAWAY from the server). */
    void stopping() {
        stopping = true;
    }

    /**
     * From now on no HTTP/1 request is taken in: each gets its connection closed without an answer.
     * Requests being answered go on; {@link #answering()} says how many are left.
     */
    void close() {
        closing = true;
    }

    /** Requests taken in whose answer is not written yet (or failed). */
    int answering() {
        return answering.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        answering.incrementAndGet(); // first: a stop that closes after this waits for the answer
        Counted answered = new Counted(callback);
        boolean closeNow = closing && request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2;
        if (closeNow || Exchange.cannotAnswer(request)) {
            // Taken in now, its answer could be cut off as the stop closes the connections (closing: an HTTP/1
            // connection accepted just before the listener closed; HTTP/2 sessions have had GOAWAY); or Jetty has
            // shut this connection's output after an answer that went out without "Connection: close" before
            // the stop. Not taken in (no call, not counted): the client sees the connection closed without an
            // answer, as when its request crosses any close, and may send it again elsewhere.
            if (closeNow) {
                request.getConnectionMetaData().getConnection().getEndPoint().close();
            }
            answered.failed(new EofException("the HTTP front is stopping: the connection is closed"));
            return true;
        }
        try {
            return answer(request, response, answered);
        } catch (RuntimeException | Error e) {
            answered.countOut(); // Jetty fails its own callback
            throw e;
        }
    }

    private boolean answer(Request request, Response response, Callback callback) {
        long arrived = traffic.arrival();
        HttpSettings s = settings;
        String requestId = RequestIds.of(request.getHeaders().get("x-request-id"));
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        Routes.Match match = s.routes().match(method, path);
        if (match == null || match.endpoint() == null) {
            unrouted(request, response, callback, requestId, path, match);
            return true;
        }
        String endpoint = match.endpoint();
        Exchange exchange = new Exchange(request, response, callback, requestId, endpoint, traffic, fields, errors, stopping,
                s.requestTimeoutMs(), arrived);
        if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_2
                && headerBytes(request) > s.maxRequestHeaderBytes()) {
            exchange.fail(Failures.headersTooLarge(s.maxRequestHeaderBytes(), endpoint, requestId));
            return true;
        }
        try {
            HandlerRegistry.checkEndpointId(endpoint);
        } catch (InvalidEndpointIdException e) {
            exchange.fail(Failures.invalidEndpoint(endpoint, requestId));
            return true;
        }
        AtomicInteger place = traffic.enter(endpoint);
        if (place == null) {
            exchange.fail(Failures.overloaded(traffic, endpoint, requestId));
            return true;
        }
        try {
            call(request, exchange, match, s);
        } finally {
            traffic.leave(place);
        }
        return true;
    }

    /**
     * The size of an HTTP/2 request's headers as HTTP/1.1 would send them (request line, then
     * "name: value" lines), the measure of max.request.header.bytes: HTTP/2 decodes up to
     * {@link HttpServer#h2HeaderBytes} so that a request over the limit is answered 431 here instead
     * of ending its connection.
     */
    private static long headerBytes(Request request) {
        long size = request.getMethod().length() + request.getHttpURI().getPathQuery().length() + 12;
        for (HttpField field : request.getHeaders()) {
            String value = field.getValue();
            size += field.getName().length() + (value == null ? 0 : value.length()) + 4;
        }
        return size;
    }

    private void call(Request request, Exchange exchange, Routes.Match match, HttpSettings s) {
        String endpoint = exchange.endpoint;
        Watchdog.Slot watched = null;
        try {
            byte[] body = RequestBody.read(request, s.maxRequestBodyBytes());
            if (body == null) {
                exchange.fail(Failures.bodyTooLarge(s.maxRequestBodyBytes(), endpoint, exchange.requestId));
                return;
            }
            HandlerRequest.Builder builder = HandlerRequest.builder().method(request.getMethod()).path(match.path())
                    .body(body);
            String query = request.getHttpURI().getQuery();
            if (query != null) {
                builder.query(query);
            }
            for (HttpField field : request.getHeaders()) {
                builder.header(field.getName(), field.getValue() == null ? "" : field.getValue());
            }
            RequestContext context = RequestContext.of(RequestIds.number(exchange.requestId));
            long timeout = s.requestTimeoutMs();
            if (timeout > 0) {
                context = context.withDeadline(Instant.now().plusMillis(timeout));
                watched = watchdog.watch(exchange, System.nanoTime() + timeout * 1_000_000L);
            }
            exchange.answer(registry.execute(endpoint, context, builder.build(), exchange, exchange));
        } catch (RuntimeException e) {
            Problem problem = Failures.ofCall(e, endpoint, exchange.requestId);
            if (problem == null) {
                throw e;
            }
            exchange.fail(problem);
        } catch (IOException e) {
            if (Exchange.wentAway(e)) {
                exchange.abandon(e); // a reset, not a bad request: nobody is left to answer
            } else {
                exchange.fail(Failures.unreadableBody(e, endpoint, exchange.requestId));
            }
        } finally {
            if (watched != null) {
                watched.clear();
            }
        }
    }

    private void unrouted(Request request, Response response, Callback callback, String requestId, String path,
            Routes.Match match) {
        Problem problem;
        HttpField allow = null;
        if (match == null) {
            problem = Failures.noRoute(path, requestId);
        } else {
            allow = new HttpField(HttpHeader.ALLOW, String.join(", ", match.allowedMethods()));
            problem = Failures.methodNotAllowed(request.getMethod(), path, match.allowedMethods(), requestId);
        }
        errors.log(problem, request.getMethod(), path);
        traffic.answered(problem.status());
        Exchange.writeProblem(request, response, callback, problem, allow, stopping);
    }

    /** The request's callback, counting its request out of {@link #answering} once, however it completes. */
    private final class Counted extends Callback.Nested {
        private static final AtomicIntegerFieldUpdater<Counted> OUT = AtomicIntegerFieldUpdater.newUpdater(Counted.class,
                "out");
        private volatile int out;

        Counted(Callback callback) {
            super(callback);
        }

        void countOut() {
            if (OUT.compareAndSet(this, 0, 1)) {
                answering.decrementAndGet();
            }
        }

        @Override
        public void succeeded() {
            countOut();
            super.succeeded();
        }

        @Override
        public void failed(Throwable failure) {
            countOut();
            super.failed(failure);
        }
    }
}
