package io.handlerregistry.shell.internal;

import java.util.Map;
import java.util.stream.Collectors;

import io.handlerregistry.http.api.HttpFront;
import io.handlerregistry.http.api.HttpFront.Counters;

/**
 * What {@code handler:http} shows of the HTTP front. Loaded only once the front's service was found,
 * so that the shell runs where the front's API is not installed.
 */
final class HttpView {
    private HttpView() {
    }

    /** The counters now, to compare with later ones. */
    static Object sample(Object front) {
        return ((HttpFront) front).counters();
    }

    /**
     * The front's listeners, routes and counters; the rates between {@code earlier} (a {@link #sample},
     * or null) and now.
     */
    static Table table(Object service, Object earlier, Screen screen) {
        HttpFront front = (HttpFront) service;
        Counters now = front.counters();
        Table table = new Table(screen, "property", "value");
        if (front.listeners().isEmpty()) {
            table.row("listening", "nowhere: its address could not be opened (see the log); set host and port in"
                    + " the configuration io.handlerregistry.http");
        }
        for (HttpFront.Listener listener : front.listeners()) {
            table.row("listening", listener.url() + " (" + String.join(", ", listener.protocols()) + ")");
        }
        for (HttpFront.Route route : front.routes()) {
            table.row("route", route.toString());
        }
        table.row("connections", now.connections())
                .row("in flight", now.inFlight())
                .row("requests", now.requests() + rate(now, (Counters) earlier));
        table.row("statuses", now.statuses().isEmpty() ? "none yet" : now.statuses().entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")));
        if (earlier != null) {
            Map<Integer, Long> before = ((Counters) earlier).statuses();
            double seconds = (now.nanosSinceStart() - ((Counters) earlier).nanosSinceStart()) / 1e9;
            String recent = now.statuses().entrySet().stream()
                    .filter(e -> e.getValue() > before.getOrDefault(e.getKey(), 0L))
                    .map(e -> e.getKey() + ": " + Units.rate((e.getValue() - before.getOrDefault(e.getKey(), 0L))
                            / seconds) + "/s")
                    .collect(Collectors.joining(", "));
            table.row("statuses/s", recent.isEmpty() ? "none" : recent);
        }
        return table;
    }

    private static String rate(Counters now, Counters earlier) {
        if (earlier == null) {
            return "";
        }
        double seconds = (now.nanosSinceStart() - earlier.nanosSinceStart()) / 1e9;
        return " (" + Units.rate((now.requests() - earlier.requests()) / seconds) + "/s over the last "
                + Units.seconds(seconds) + ")";
    }
}
