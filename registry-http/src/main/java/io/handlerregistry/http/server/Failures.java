package io.handlerregistry.http.server;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerTimeoutException;

/**
 * Every error answer of the front, in one place: the same status and text whichever door the
 * request came through (the front's own Jetty, {@link RegistryHandler}, or the application's servlet
 * container, {@link RegistryServlet}). Each names the endpoint and what to do; a 503 also gets
 * {@code Retry-After}, a 405 {@code Allow}.
 */
final class Failures {
    /** The characters of an HTTP token (RFC 9110 5.6.2), which a header name is made of. */
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '!'; c < 127; c++) {
            TOKEN[c] = "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
        }
    }

    private Failures() {
    }

    static Problem noRoute(String path, String requestId) {
        return new Problem(404, "no route for " + path + ": call /{endpoint}/..., or add a route (routes of "
                + HttpSettings.PID + ")", null, requestId);
    }

    static Problem methodNotAllowed(String method, String path, Set<String> allowed, String requestId) {
        return new Problem(405, "the routes for " + path + " take " + String.join(", ", allowed) + ", not " + method,
                null, requestId);
    }

    static Problem invalidEndpoint(String endpoint, String requestId) {
        return new Problem(404, "'" + endpoint + "' in the path is no endpoint id (1 to 64 of A-Z a-z 0-9 _ -): call"
                + " /{endpoint}/... with the id of a loaded endpoint", endpoint, requestId);
    }

    /** The text of a 431, for Jetty's own answer (HTTP/1) and the front's (HTTP/2). */
    static String headersTooLargeDetail(int max) {
        return "the request's headers are larger than " + max + " bytes, the limit of the HTTP front"
                + " (max.request.header.bytes of " + HttpSettings.PID + ")";
    }

    static Problem headersTooLarge(int max, String endpoint, String requestId) {
        return new Problem(431, headersTooLargeDetail(max), endpoint, requestId);
    }

    static Problem bodyTooLarge(int max, String endpoint, String requestId) {
        return new Problem(413, "the request body is larger than " + max + " bytes, the limit of the HTTP front"
                + " (max.request.body.bytes of " + HttpSettings.PID + ")", endpoint, requestId);
    }

    static Problem unreadableBody(IOException e, String endpoint, String requestId) {
        return new Problem(400, "the request body could not be read: " + e.getMessage(), endpoint, requestId);
    }

    /** No place for the request: the front's bound, or the endpoint's share of it, is taken. */
    static Problem overloaded(Traffic traffic, String endpoint, String requestId) {
        int max = traffic.max();
        String why = traffic.inFlight() >= max
                ? "the HTTP front answers " + max + " requests at once already (max.concurrent.requests of "
                        + HttpSettings.PID + ")"
                : "endpoint '" + endpoint + "' has " + traffic.inFlight(endpoint) + " requests in flight already, its"
                        + " share (half) of the front's " + max + " places (max.concurrent.requests of "
                        + HttpSettings.PID + "), so that the other endpoints keep theirs; if its calls are stuck,"
                        + " swap in a fixed version; if it is only busy, raise max.concurrent.requests";
        return new Problem(503, why, endpoint, requestId);
    }

    /** The deadline passed with the handler still inside. */
    static Problem timedOut(long timeoutMs, String endpoint, String requestId) {
        return new Problem(504, "endpoint '" + endpoint + "' did not answer within " + timeoutMs + " ms"
                + " (request.timeout.ms of " + HttpSettings.PID + "); its call goes on in the handler and keeps its"
                + " place until it returns", endpoint, requestId);
    }

    /**
     * The answer for a call that threw, or null for an exception that is no failure of the call (the
     * server's error handling takes it).
     */
    static Problem ofCall(RuntimeException e, String endpoint, String requestId) {
        if (e instanceof EndpointNotFoundException) {
            return new Problem(404, "no handler is loaded for endpoint '" + endpoint + "': deploy one (a handler"
                    + " bundle in deploy/, or handler:load " + endpoint + ")", endpoint, requestId);
        }
        if (e instanceof HandlerOverloadedException) {
            return new Problem(503, e.getMessage(), endpoint, requestId);
        }
        if (e instanceof HandlerTimeoutException) {
            return new Problem(504, e.getMessage(), endpoint, requestId);
        }
        if (e instanceof HandlerFailedException) {
            HandlerFailedException failed = (HandlerFailedException) e;
            return new Problem(502, "the handler of endpoint '" + endpoint + "' failed with code " + failed.code()
                    + ": " + failed.handlerMessage(), endpoint, requestId);
        }
        if (e instanceof HandlerCrashedException || e instanceof HandlerException) {
            return new Problem(502, e.getMessage(), endpoint, requestId);
        }
        if (e instanceof IllegalStateException) {
            return new Problem(503, "endpoint '" + endpoint + "' cannot be called now: " + e.getMessage(), endpoint,
                    requestId);
        }
        return null;
    }

    /** A failure of the front itself (a bug): the log has its stack trace. */
    static Problem unexpected(RuntimeException e, String endpoint, String requestId) {
        return new Problem(500, "the HTTP front failed answering a request to endpoint '" + endpoint + "': " + e
                + " (its stack trace is in the log, request " + requestId + ")", endpoint, requestId);
    }

    /**
     * A handler's answer HTTP cannot carry, or null: an informational status, or headers that are not
     * HTTP ({@code invalid} says what is wrong with them, null if nothing).
     */
    static Problem unfit(int status, String invalid, String endpoint, String requestId) {
        if (status >= 200 && invalid == null) {
            return null;
        }
        return new Problem(502, "the handler of endpoint '" + endpoint + "' answered with "
                + (invalid != null ? invalid : "the informational status " + status + ", which cannot end a request")
                + ": fix the handler", endpoint, requestId);
    }

    /** What is wrong with the handler's headers for HTTP, or null. */
    static String invalidHeader(List<Header> headers) {
        for (Header header : headers) {
            String name = header.name();
            if (name.isEmpty()) {
                return "a header with an empty name";
            }
            if (!isToken(name)) {
                return "the header name '" + name + "', which is not an HTTP token";
            }
            if (!isFieldValue(header.value())) {
                return "a line break or NUL in the value of header '" + name + "'";
            }
        }
        return null;
    }

    /** True for an HTTP token (RFC 9110 5.6.2): what a header name must be. */
    static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= TOKEN.length || !TOKEN[c]) {
                return false;
            }
        }
        return true;
    }

    /** True for a header value HTTP can carry: no line break, no NUL. */
    static boolean isFieldValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }
}
