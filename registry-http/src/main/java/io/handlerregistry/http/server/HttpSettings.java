package io.handlerregistry.http.server;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The settings of the HTTP front (Config Admin PID {@code io.handlerregistry.http}), checked: a
 * wrong value is one line naming the key, the value and what is allowed, and the value in force
 * before stays while the rest of the change applies. Immutable.
 *
 * @param host                  the address to listen on; 127.0.0.1 by default, so nothing is reachable from
 *                              elsewhere unless asked ({@code 0.0.0.0} or {@code ::} for every interface)
 * @param port                  0 for any free port
 * @param h2c                   cleartext HTTP/2 beside HTTP/1.1 (prior knowledge and upgrade)
 * @param maxRequestBodyBytes   larger bodies get 413
 * @param maxRequestHeaderBytes larger request headers get 431
 * @param idleTimeoutMs         an idle connection is closed after this long
 * @param requestTimeoutMs      the deadline handed to the handler; past it the client gets 504 (0: none)
 * @param maxConnections        connections open at once; more wait to be accepted (0: no limit)
 * @param maxConcurrentRequests requests answered at once; more get 503 at once, as do the requests of one
 *                              endpoint beyond half of it
 * @param routes                the routes
 * @param shutdownDelayMs       on stop: how long to keep serving after no longer reporting ready
 * @param shutdownTimeoutMs     on stop: how long requests in flight may take to finish
 * @param whiteboardEnabled     also serve the routes through the application's OSGi HTTP Whiteboard (jakarta
 *                              servlet), on the application's own HTTP server
 * @param whiteboardPath        where on the application's server: the servlet takes this path and everything
 *                              below it ({@code /handlers/echo/x} is the front's {@code /echo/x}); {@code /} for all
 */
public record HttpSettings(String host, int port, boolean h2c, int maxRequestBodyBytes, int maxRequestHeaderBytes,
        long idleTimeoutMs, long requestTimeoutMs, int maxConnections, int maxConcurrentRequests, Routes routes,
        long shutdownDelayMs, long shutdownTimeoutMs, boolean whiteboardEnabled, String whiteboardPath) {

    /** The configuration PID, and the prefix of framework properties that stand in for it. */
    public static final String PID = "io.handlerregistry.http";

    /**
     * The defaults: 127.0.0.1:8080, HTTP/1.1 and h2c, 1 MiB bodies, 8 KiB headers, 30 s timeouts; no
     * whiteboard servlet (at /handlers when enabled).
     */
    public static final HttpSettings DEFAULTS = new HttpSettings("127.0.0.1", 8080, true, 1 << 20, 8 << 10, 30_000,
            30_000, 0, 200, Routes.NONE, 0, 30_000, false, "/handlers");

    /** The keys of the settings; other keys of the configuration are named in a warning. */
    public static final Set<String> KEYS = Set.of("host", "port", "h2c", "max.request.body.bytes",
            "max.request.header.bytes", "idle.timeout.ms", "request.timeout.ms", "max.connections",
            "max.concurrent.requests", "routes", "default.route", "shutdown.delay.ms", "shutdown.timeout.ms",
            "whiteboard.enabled", "whiteboard.path");

    /**
     * The settings a configuration makes, with these as the defaults for what it does not set: each
     * key it sets is checked; a wrong one is told to {@code complaint} and keeps its value from
     * {@code previous} (the settings in force before).
     */
    public HttpSettings with(Map<String, ?> config, HttpSettings previous, Consumer<String> complaint) {
        Reader r = new Reader(config, complaint);
        String newHost = host;
        if (config.containsKey("host")) {
            newHost = String.valueOf(config.get("host")).strip();
            if (newHost.isEmpty() || newHost.chars().anyMatch(Character::isWhitespace)) {
                complaint.accept(r.wrong("host", newHost, "a host name or address, e.g. 127.0.0.1, 0.0.0.0 or ::",
                        previous.host));
                newHost = previous.host;
            }
        }
        String newWhiteboardPath = whiteboardPath;
        if (config.containsKey("whiteboard.path")) {
            newWhiteboardPath = String.valueOf(config.get("whiteboard.path")).strip();
            if (newWhiteboardPath.length() > 1 && newWhiteboardPath.endsWith("/")) {
                newWhiteboardPath = newWhiteboardPath.substring(0, newWhiteboardPath.length() - 1);
            }
            if (!newWhiteboardPath.startsWith("/") || newWhiteboardPath.contains("//")
                    || newWhiteboardPath.chars().anyMatch(c -> c <= ' ' || c == '*' || c == '?' || c == '#' || c >= 127)) {
                complaint.accept(r.wrong("whiteboard.path", config.get("whiteboard.path"), "a path on the application's"
                        + " HTTP server, e.g. /handlers, or / for all of it (no wildcard, query or space)",
                        previous.whiteboardPath));
                newWhiteboardPath = previous.whiteboardPath;
            }
        }
        boolean defaultRoute = r.bool("default.route", routes.list().contains(Routes.DEFAULT),
                previous.routes.list().contains(Routes.DEFAULT));
        Routes newRoutes = routes;
        if (config.containsKey("routes") || config.containsKey("default.route")) {
            Collection<String> entries = config.containsKey("routes") ? texts(config.get("routes"))
                    : routeTexts(routes);
            Routes parsed = Routes.parse(entries, defaultRoute,
                    line -> complaint.accept("configuration " + PID + ", key routes: " + line));
            if (parsed != null) {
                newRoutes = parsed;
            } else {
                newRoutes = previous.routes;
                complaint.accept("configuration " + PID + ": the routes in force stay (" + previous.routes.list().size()
                        + " routes) until every route is right");
            }
        }
        for (String key : config.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith("service.") && !key.startsWith("component.")
                    && !key.startsWith("felix.") && !key.startsWith("osgi.") && !key.startsWith(".")) {
                complaint.accept("configuration " + PID + ": '" + key + "' is no setting of the HTTP front; the"
                        + " settings are " + String.join(", ", new java.util.TreeSet<>(KEYS)));
            }
        }
        return new HttpSettings(newHost,
                (int) r.number("port", port, previous.port, 0, 65_535),
                r.bool("h2c", h2c, previous.h2c),
                (int) r.number("max.request.body.bytes", maxRequestBodyBytes, previous.maxRequestBodyBytes, 0,
                        Integer.MAX_VALUE - 8),
                (int) r.number("max.request.header.bytes", maxRequestHeaderBytes, previous.maxRequestHeaderBytes, 512,
                        1 << 20),
                r.number("idle.timeout.ms", idleTimeoutMs, previous.idleTimeoutMs, 1, Long.MAX_VALUE / 2),
                r.number("request.timeout.ms", requestTimeoutMs, previous.requestTimeoutMs, 0, Long.MAX_VALUE / 2),
                (int) r.number("max.connections", maxConnections, previous.maxConnections, 0, Integer.MAX_VALUE),
                (int) r.number("max.concurrent.requests", maxConcurrentRequests, previous.maxConcurrentRequests, 1,
                        10_000),
                newRoutes,
                r.number("shutdown.delay.ms", shutdownDelayMs, previous.shutdownDelayMs, 0, Long.MAX_VALUE / 2),
                r.number("shutdown.timeout.ms", shutdownTimeoutMs, previous.shutdownTimeoutMs, 0, Long.MAX_VALUE / 2),
                r.bool("whiteboard.enabled", whiteboardEnabled, previous.whiteboardEnabled),
                newWhiteboardPath);
    }

    /** True if the listening socket must be made anew for {@code next} (address or protocols changed). */
    boolean listenerDiffers(HttpSettings next) {
        return !host.equals(next.host) || port != next.port || h2c != next.h2c;
    }

    private static List<String> routeTexts(Routes routes) {
        List<String> texts = new ArrayList<>();
        routes.configured().forEach(r -> texts.add(r.toString()));
        return texts;
    }

    /** A configuration value as texts: each element of a String[] or a collection, or the one value; none for null. */
    public static Collection<String> texts(Object value) {
        List<String> texts = new ArrayList<>();
        if (value instanceof String[]) {
            texts.addAll(List.of((String[]) value));
        } else if (value instanceof Collection) {
            ((Collection<?>) value).forEach(v -> texts.add(String.valueOf(v)));
        } else if (value != null) {
            texts.add(String.valueOf(value));
        }
        return texts;
    }

    /** Reads and checks one configuration's values. */
    private static final class Reader {
        private final Map<String, ?> config;
        private final Consumer<String> complaint;

        Reader(Map<String, ?> config, Consumer<String> complaint) {
            this.config = config;
            this.complaint = complaint;
        }

        String wrong(String key, Object value, String wanted, Object inForce) {
            return "configuration " + PID + ": " + key + " = '" + value + "' is not " + wanted
                    + "; " + key + " stays " + inForce;
        }

        boolean bool(String key, boolean unset, boolean previous) {
            Object value = config.get(key);
            if (value == null) {
                return unset;
            }
            if (value instanceof Boolean) {
                return (Boolean) value;
            }
            String s = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
            if (s.equals("true") || s.equals("false")) {
                return Boolean.parseBoolean(s);
            }
            complaint.accept(wrong(key, value, "true or false", previous));
            return previous;
        }

        long number(String key, long unset, long previous, long min, long max) {
            Object value = config.get(key);
            if (value == null) {
                return unset;
            }
            String wanted = max >= Integer.MAX_VALUE - 8 ? "a whole number from " + min : "a whole number from " + min
                    + " to " + max;
            long n;
            if (value instanceof Number && !(value instanceof Double || value instanceof Float)) {
                n = ((Number) value).longValue();
            } else {
                try {
                    n = Long.parseLong(String.valueOf(value).strip());
                } catch (NumberFormatException e) {
                    complaint.accept(wrong(key, value, wanted, previous));
                    return previous;
                }
            }
            if (n < min || n > max) {
                complaint.accept(wrong(key, value, wanted, previous));
                return previous;
            }
            return n;
        }
    }
}
