package io.handlerregistry.http.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerTimeoutException;
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
    private static final byte[] NO_BODY = new byte[0];
    private static final long DISCARD_BYTES = 16L << 20;

    private final HandlerRegistry registry;
    private final Traffic traffic;
    private final Watchdog watchdog;
    private final ErrorLog errors = new ErrorLog();
    private volatile HttpSettings settings;
    private volatile boolean stopping;

    RegistryHandler(HandlerRegistry registry, HttpSettings settings, Traffic traffic, Watchdog watchdog) {
        super(InvocationType.BLOCKING);
        this.registry = registry;
        this.settings = settings;
        this.traffic = traffic;
        this.watchdog = watchdog;
    }

    void settings(HttpSettings next) {
        settings = next;
    }

    /** From now on every answer closes its HTTP/1 connection (HTTP/2 sessions get GOAWAY from the server). */
    void stopping() {
        stopping = true;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
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
        Exchange exchange = new Exchange(request, response, callback, requestId, endpoint, traffic, errors, stopping,
                s.requestTimeoutMs());
        try {
            HandlerRegistry.checkEndpointId(endpoint);
        } catch (InvalidEndpointIdException e) {
            exchange.fail(400, "'" + endpoint + "' in the path is no endpoint id (1 to 64 of A-Z a-z 0-9 _ -): call"
                    + " /{endpoint}/... with the id of a loaded endpoint", null);
            return true;
        }
        AtomicInteger place = traffic.enter(endpoint);
        if (place == null) {
            overloaded(exchange, endpoint);
            return true;
        }
        try {
            call(request, exchange, match, s);
        } finally {
            traffic.leave(place);
        }
        return true;
    }

    private void call(Request request, Exchange exchange, Routes.Match match, HttpSettings s) {
        String endpoint = exchange.endpoint;
        Watchdog.Slot watched = null;
        try {
            byte[] body = body(request, s.maxRequestBodyBytes());
            if (body == null) {
                exchange.fail(413, "the request body is larger than " + s.maxRequestBodyBytes() + " bytes, the limit"
                        + " of the HTTP front (max.request.body.bytes of " + HttpSettings.PID + ")", null);
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
            exchange.answer(registry.execute(endpoint, context, builder.build(), exchange::read));
        } catch (EndpointNotFoundException e) {
            exchange.fail(404, "no handler is loaded for endpoint '" + endpoint + "': deploy one (a handler bundle"
                    + " in deploy/, or handler:load " + endpoint + ")", null);
        } catch (HandlerOverloadedException e) {
            exchange.fail(503, e.getMessage(), new HttpField(HttpHeader.RETRY_AFTER, "1"));
        } catch (HandlerTimeoutException e) {
            exchange.fail(504, e.getMessage(), null);
        } catch (HandlerFailedException e) {
            exchange.fail(502, "the handler of endpoint '" + endpoint + "' failed with code " + e.code() + ": "
                    + e.handlerMessage(), null);
        } catch (HandlerCrashedException e) {
            exchange.fail(502, e.getMessage(), null);
        } catch (HandlerException e) {
            exchange.fail(502, e.getMessage(), null);
        } catch (IllegalStateException e) {
            exchange.fail(503, "endpoint '" + endpoint + "' cannot be called now: " + e.getMessage(),
                    new HttpField(HttpHeader.RETRY_AFTER, "1"));
        } catch (IOException e) {
            exchange.fail(400, "the request body could not be read: " + e.getMessage(), null);
        } finally {
            if (watched != null) {
                watched.clear();
            }
        }
    }

    /**
     * The body, or null if it is larger than {@code max}. Read on this thread: the call that needs it
     * runs here next anyway.
     */
    private static byte[] body(Request request, int max) throws IOException {
        long length = request.getLength();
        InputStream in = Content.Source.asInputStream(request);
        if (length > max) {
            discard(in);
            return null;
        }
        if (length == 0) {
            return NO_BODY;
        }
        if (length > 0) {
            byte[] body = in.readNBytes((int) length);
            return body.length == length ? body : null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        for (int n; (n = in.read(chunk)) >= 0;) {
            if (out.size() + n > max) {
                discard(in);
                return null;
            }
            out.write(chunk, 0, n);
        }
        return out.size() == 0 ? NO_BODY : out.toByteArray();
    }

    /**
     * Reads what is left of a body too large to take, up to {@value #DISCARD_BYTES} bytes, so that the
     * client, still sending it, reads the 413 instead of a connection reset (as nginx lingers); a
     * longer one is left unread and its connection closed after the answer.
     */
    private static void discard(InputStream in) throws IOException {
        byte[] chunk = new byte[8192];
        long left = DISCARD_BYTES;
        for (int n; left > 0 && (n = in.read(chunk)) >= 0;) {
            left -= n;
        }
    }

    private void unrouted(Request request, Response response, Callback callback, String requestId, String path,
            Routes.Match match) {
        Problem problem;
        HttpField allow = null;
        if (match == null) {
            problem = new Problem(404, "no route for " + path + ": call /{endpoint}/..., or add a route (routes of "
                    + HttpSettings.PID + ")", null, requestId);
        } else {
            allow = new HttpField(HttpHeader.ALLOW, String.join(", ", match.allowedMethods()));
            problem = new Problem(405, "the routes for " + path + " take " + String.join(", ", match.allowedMethods())
                    + ", not " + request.getMethod(), null, requestId);
        }
        errors.log(problem, request.getMethod(), path);
        Exchange.writeProblem(request, response, callback, problem, allow, stopping);
        traffic.answered(problem.status());
    }

    private void overloaded(Exchange exchange, String endpoint) {
        int max = traffic.max();
        String why = traffic.inFlight() >= max
                ? "the HTTP front answers " + max + " requests at once already (max.concurrent.requests of "
                        + HttpSettings.PID + ")"
                : "endpoint '" + endpoint + "' has " + traffic.inFlight(endpoint) + " requests in flight already, its"
                        + " share (half) of the front's " + max + " places (max.concurrent.requests of "
                        + HttpSettings.PID + "), so that the other endpoints keep theirs; if its calls are stuck,"
                        + " swap in a fixed version";
        exchange.fail(503, why, new HttpField(HttpHeader.RETRY_AFTER, "1"));
    }
}
