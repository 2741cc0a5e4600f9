package io.handlerregistry.http.server;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.InvalidEndpointIdException;
import io.handlerregistry.http.api.HttpFront.Route;

/**
 * Which endpoint a request goes to. Configured routes ({@code [METHOD,...] PATH -> ENDPOINT}) come
 * first, most specific first: an exact path before a prefix ({@code /api/users/*}), a longer prefix
 * before a shorter one, a route naming methods before one for any method. They pass the request's
 * path as it is. Then, unless turned off, the default route: {@code /{endpoint}/{rest...}} calls
 * {@code endpoint} with the path {@code /{rest...}}. Immutable; a new table replaces an old one whole.
 */
public final class Routes {
    /** The default route, as listed. */
    public static final Route DEFAULT = new Route(List.of(), "/{endpoint}/*", "{endpoint}");

    private final List<Route> configured;
    private final Map<String, List<Route>> exact;
    private final Route[] prefixes; // longest prefix first; an array: no iterator per request
    private final boolean defaultRoute;

    private Routes(List<Route> configured, boolean defaultRoute) {
        this.configured = List.copyOf(configured);
        this.defaultRoute = defaultRoute;
        Map<String, List<Route>> byPath = new HashMap<>();
        List<Route> prefixList = new ArrayList<>();
        for (Route route : configured) {
            if (isPrefix(route.pattern())) {
                prefixList.add(route);
            } else {
                byPath.computeIfAbsent(route.pattern(), p -> new ArrayList<>()).add(route);
            }
        }
        byPath.values().forEach(list -> list.sort(METHODS_FIRST));
        prefixList.sort(Comparator.comparingInt((Route r) -> r.pattern().length()).reversed().thenComparing(METHODS_FIRST));
        this.exact = Map.copyOf(byPath);
        this.prefixes = prefixList.toArray(new Route[0]);
    }

    private static final Comparator<Route> METHODS_FIRST = Comparator.comparing(r -> r.methods().isEmpty());

    /** No configured route; the default route on. */
    public static final Routes NONE = new Routes(List.of(), true);

    /**
     * Parses routes: each entry {@code [METHOD[,METHOD...]] PATH -> ENDPOINT}, entries separated by
     * {@code ;} or new lines (or given as several values). PATH is an exact path or ends in
     * {@code /*} (that path and everything below it).
     *
     * @param complaint told one line per wrong entry
     * @return the routes, or null if any entry is wrong (the caller keeps the ones it had)
     */
    public static Routes parse(Collection<String> entries, boolean defaultRoute, Consumer<String> complaint) {
        List<Route> routes = new ArrayList<>();
        boolean wrong = false;
        for (String value : entries) {
            for (String entry : value.split("[;\\n]")) {
                if (entry.isBlank()) {
                    continue;
                }
                try {
                    routes.add(parseOne(entry.strip()));
                } catch (IllegalArgumentException e) {
                    complaint.accept("route '" + entry.strip() + "': " + e.getMessage());
                    wrong = true;
                }
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Route route : routes) {
            List<String> methods = route.methods().isEmpty() ? List.of("*") : route.methods();
            for (String method : methods) {
                if (!seen.add(method + " " + route.pattern())) {
                    complaint.accept("route '" + route + "': " + method + " " + route.pattern()
                            + " is routed twice; give each method and path one endpoint");
                    wrong = true;
                }
            }
        }
        return wrong ? null : new Routes(routes, defaultRoute);
    }

    private static Route parseOne(String entry) {
        int arrow = entry.indexOf("->");
        if (arrow < 0) {
            throw new IllegalArgumentException("no '->': write [METHOD,...] PATH -> ENDPOINT, e.g."
                    + " 'GET,POST /api/users/* -> users'");
        }
        String endpoint = entry.substring(arrow + 2).strip();
        try {
            HandlerRegistry.checkEndpointId(endpoint);
        } catch (InvalidEndpointIdException e) {
            throw new IllegalArgumentException("'" + endpoint + "' is no endpoint id (1 to 64 of A-Z a-z 0-9 _ -)");
        }
        String[] left = entry.substring(0, arrow).strip().split("\\s+");
        if (left.length == 0 || left.length > 2 || left[left.length - 1].isEmpty()) {
            throw new IllegalArgumentException("write [METHOD,...] PATH -> ENDPOINT");
        }
        String pattern = left[left.length - 1];
        if (!pattern.startsWith("/") || pattern.contains("?") || pattern.contains("#")
                || (pattern.indexOf('*') >= 0 && !(pattern.endsWith("/*") && pattern.indexOf('*') == pattern.length() - 1))) {
            throw new IllegalArgumentException("the path '" + pattern + "' must start with / and may end in /*"
                    + " (no other wildcard, no query)");
        }
        List<String> methods = new ArrayList<>();
        if (left.length == 2) {
            for (String method : left[0].split(",")) {
                String m = method.strip().toUpperCase(Locale.ROOT);
                if (!m.matches("[A-Z]+")) {
                    throw new IllegalArgumentException("'" + method + "' is no HTTP method");
                }
                methods.add(m);
            }
        }
        return new Route(methods, pattern, endpoint);
    }

    private static boolean isPrefix(String pattern) {
        return pattern.endsWith("/*");
    }

    /** The configured routes, most specific first, then the default route if it is on. */
    public List<Route> list() {
        List<Route> all = new ArrayList<>();
        exact.values().forEach(all::addAll);
        all.sort(Comparator.comparing(Route::pattern));
        all.addAll(List.of(prefixes));
        if (defaultRoute) {
            all.add(DEFAULT);
        }
        return all;
    }

    List<Route> configured() {
        return configured;
    }

    /**
     * Where a request goes.
     *
     * @param method the request's method
     * @param path   the request's path, not decoded
     */
    Match match(String method, String path) {
        Set<String> allowed = null;
        List<Route> routes = exact.get(path);
        if (routes != null) {
            for (Route route : routes) {
                if (accepts(route, method)) {
                    return new Match(route.endpoint(), path, null);
                }
            }
            allowed = collectMethods(routes, null);
        }
        for (Route route : prefixes) {
            String pattern = route.pattern();
            String prefix = pattern.substring(0, pattern.length() - 2); // without "/*"
            if (path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/'
                    || prefix.isEmpty())) {
                if (accepts(route, method)) {
                    return new Match(route.endpoint(), path, null);
                }
                allowed = collectMethods(List.of(route), allowed);
            }
        }
        if (allowed != null) {
            return new Match(null, path, allowed);
        }
        if (!defaultRoute || path.length() < 2) {
            return null;
        }
        int slash = path.indexOf('/', 1);
        String endpoint = slash < 0 ? path.substring(1) : path.substring(1, slash);
        String rest = slash < 0 ? "/" : path.substring(slash);
        return new Match(endpoint, rest, null);
    }

    private static boolean accepts(Route route, String method) {
        return route.methods().isEmpty() || route.methods().contains(method)
                || (method.equals("HEAD") && route.methods().contains("GET"));
    }

    private static Set<String> collectMethods(List<Route> routes, Set<String> into) {
        Set<String> methods = into == null ? new LinkedHashSet<>() : into;
        routes.forEach(r -> methods.addAll(r.methods()));
        return methods;
    }

    /**
     * A routed request: the endpoint and the path it gets; or, when the path has routes but none for
     * this method, the methods they take ({@code endpoint} null).
     */
    record Match(String endpoint, String path, Set<String> allowedMethods) {
    }
}
