package io.handlerregistry.http.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Enumeration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

import io.handlerregistry.api.EncodedHeaders;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.InvalidEndpointIdException;
import io.handlerregistry.api.RequestContext;

/**
 * The front's routes as a jakarta servlet, for an application whose own HTTP server has an OSGi HTTP
 * Whiteboard: mounted at a path of that server, it answers every request below the path as the
 * front answers the same path on its own port ({@link RegistryHandler}): the same routes, request
 * mapping, limits, request ids and {@link Failures error answers}. With a request timeout, a request
 * runs asynchronously so that its 504 goes out at the deadline while the call goes on in the handler
 * (the container must support async, which the whiteboard registration asks for).
 *
 * <p>What the application's server owns stays its own: connections, header size limits, TLS,
 * malformed requests. Headers reach the handler grouped by name, in the order the container lists
 * the names (repeated ones in their order).
 */
public final class RegistryServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    private static final byte[] NO_BODY = new byte[0];

    private final transient HandlerRegistry registry;
    private final transient Traffic traffic;
    private final transient ErrorLog errors = new ErrorLog();
    private final transient AnswerFields fields = new AnswerFields();
    private final transient ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "handler-http-whiteboard-deadlines");
        t.setDaemon(true);
        return t;
    });
    private transient volatile HttpSettings settings;

    public RegistryServlet(HandlerRegistry registry, HttpSettings settings) {
        this.registry = registry;
        this.settings = settings;
        this.traffic = new Traffic(settings.maxConcurrentRequests(), Traffic.versionsOf(registry));
    }

    /** New settings, for the requests that come next. */
    public void settings(HttpSettings next) {
        settings = next;
        traffic.setMax(next.maxConcurrentRequests());
    }

    /** Requests being answered now. */
    public int inFlight() {
        return traffic.inFlight();
    }

    /** Requests answered, by status. */
    public Map<Integer, Long> answered() {
        return traffic.byStatus();
    }

    /** Ends the deadline timer; requests still in flight are answered by their handler's return. */
    public void close() {
        deadlines.shutdownNow();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSettings s = settings;
        String requestId = RequestIds.of(request.getHeader("x-request-id"));
        String method = request.getMethod();
        String path = pathBelowServlet(request);
        Routes.Match match = s.routes().match(method, path);
        if (match == null) {
            send(request, response, Failures.noRoute(path, requestId), null);
            return;
        }
        if (match.endpoint() == null) {
            send(request, response, Failures.methodNotAllowed(method, path, match.allowedMethods(), requestId),
                    String.join(", ", match.allowedMethods()));
            return;
        }
        String endpoint = match.endpoint();
        try {
            HandlerRegistry.checkEndpointId(endpoint);
        } catch (InvalidEndpointIdException e) {
            send(request, response, Failures.invalidEndpoint(endpoint, requestId), null);
            return;
        }
        AtomicInteger place = traffic.enter(endpoint);
        if (place == null) {
            send(request, response, Failures.overloaded(traffic, endpoint, requestId), null);
            return;
        }
        try {
            call(request, response, match, requestId, s);
        } finally {
            traffic.leave(place);
        }
    }

    private void call(HttpServletRequest request, HttpServletResponse response, Routes.Match match, String requestId,
            HttpSettings s) throws IOException {
        String endpoint = match.endpoint();
        byte[] body;
        try {
            body = body(request, s.maxRequestBodyBytes());
        } catch (IOException e) {
            if (Exchange.wentAway(e)) {
                // a reset, not a bad request: nobody is left to answer (as the front's own server does)
                LOG.log(Level.DEBUG, () -> "HTTP front (whiteboard): no answer to request " + requestId
                        + " for endpoint '" + endpoint + "': the client went away (" + e + ")");
                return;
            }
            send(request, response, Failures.unreadableBody(e, endpoint, requestId), null);
            return;
        }
        if (body == null) {
            send(request, response, Failures.bodyTooLarge(s.maxRequestBodyBytes(), endpoint, requestId), null);
            return;
        }
        HandlerRequest.Builder builder = HandlerRequest.builder().method(request.getMethod()).path(match.path())
                .body(body);
        String query = request.getQueryString();
        if (query != null) {
            builder.query(query);
        }
        for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
            String name = names.nextElement();
            for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements();) {
                String value = values.nextElement();
                builder.header(name, value == null ? "" : value);
            }
        }
        RequestContext context = RequestContext.of(RequestIds.number(requestId));
        AtomicBoolean answered = new AtomicBoolean();
        AsyncContext async = null;
        ScheduledFuture<?> deadline = null;
        long timeout = s.requestTimeoutMs();
        if (timeout > 0) {
            context = context.withDeadline(Instant.now().plusMillis(timeout));
            if (request.isAsyncSupported()) {
                // the 504 goes out at the deadline from the timer, the call goes on on this thread
                AsyncContext started = request.startAsync();
                started.setTimeout(0);
                async = started;
                try {
                    deadline = deadlines.schedule(() -> {
                        if (answered.compareAndSet(false, true)) {
                            try {
                                send(request, response, Failures.timedOut(timeout, endpoint, requestId), null);
                            } catch (IOException | RuntimeException e) {
                                // the client went away: nothing to answer
                            } finally {
                                started.complete();
                            }
                        }
                    }, timeout, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    // closed while this request came in: the handler's return answers it
                }
            }
        }
        Answer answer = null;
        Problem problem = null;
        try {
            answer = registry.execute(endpoint, context, builder.build(), (r, b) -> new Answer(r.status(),
                    r.encodedHeaders(), copy(b)));
        } catch (RuntimeException e) {
            problem = Failures.ofCall(e, endpoint, requestId);
            if (problem == null) {
                LOG.log(Level.WARNING, "HTTP front (whiteboard): request " + requestId + " to endpoint '" + endpoint
                        + "' failed", e);
                problem = Failures.unexpected(e, endpoint, requestId);
            }
        }
        // whoever answers first, this thread or the deadline's timer, answers and completes; the other drops
        if (answered.compareAndSet(false, true)) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            try {
                if (answer != null) {
                    write(request, response, answer, endpoint, requestId);
                } else {
                    send(request, response, problem, null);
                }
            } finally {
                if (async != null) {
                    async.complete();
                }
            }
        }
    }

    private void write(HttpServletRequest request, HttpServletResponse response, Answer answer, String endpoint,
            String requestId) throws IOException {
        HttpFields.Mutable headers = HttpFields.build(answer.headers.count());
        Problem unfit = Failures.unfit(answer.status, answer.status < 200 ? null : fields.add(answer.headers, headers),
                endpoint, requestId);
        if (unfit != null) {
            send(request, response, unfit, null);
            return;
        }
        response.setStatus(answer.status);
        for (HttpField header : headers) {
            response.addHeader(header.getName(), header.getValue());
        }
        response.setHeader("x-request-id", requestId);
        response.setContentLength(answer.body.length);
        response.getOutputStream().write(answer.body);
        traffic.answered(answer.status);
    }

    /** Writes an error answer as application/problem+json, with Allow for a 405 and Retry-After for a 503. */
    private void send(HttpServletRequest request, HttpServletResponse response, Problem problem, String allow)
            throws IOException {
        errors.log(problem, request.getMethod(), request.getRequestURI());
        response.setStatus(problem.status());
        response.setContentType(Problem.MEDIA_TYPE);
        response.setHeader("x-request-id", problem.requestId());
        if (allow != null) {
            response.setHeader("Allow", allow);
        }
        if (problem.status() == 503) {
            response.setHeader("Retry-After", "1");
        }
        byte[] json = problem.json();
        response.setContentLength(json.length);
        response.getOutputStream().write(json);
        traffic.answered(problem.status());
    }

    /**
     * The request's path below the servlet's, not decoded (as the front routes it): the request URI
     * without the context and servlet paths.
     */
    private static String pathBelowServlet(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String prefix = request.getContextPath() + request.getServletPath();
        if (uri.startsWith(prefix)) {
            String rest = uri.substring(prefix.length());
            return rest.isEmpty() ? "/" : rest;
        }
        String info = request.getPathInfo(); // the mount path itself was encoded: fall back to the decoded rest
        return info == null ? "/" : info;
    }

    /** The body, or null if it is larger than {@code max}. */
    private static byte[] body(HttpServletRequest request, int max) throws IOException {
        long length = request.getContentLengthLong();
        if (length > max) {
            return null;
        }
        if (length == 0) {
            return NO_BODY;
        }
        InputStream in = request.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream(length > 0 ? (int) length : 8192);
        byte[] chunk = new byte[8192];
        for (int n; (n = in.read(chunk)) >= 0;) {
            if (out.size() + n > max) {
                return null;
            }
            out.write(chunk, 0, n);
        }
        return out.size() == 0 ? NO_BODY : out.toByteArray();
    }

    private static byte[] copy(ByteBuffer body) {
        byte[] bytes = new byte[body.remaining()];
        body.get(bytes);
        return bytes;
    }

    /** A handler's answer, its body copied out of the handler's memory during the call. */
    private record Answer(int status, EncodedHeaders headers, byte[] body) {
    }
}
