package io.handlerregistry.admin.server;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.handlerregistry.api.Latencies;
import io.handlerregistry.http.api.HttpFront;

/** {@link HttpNumbers} of an {@link HttpFront}. Loaded only where the HTTP front's API is wired. */
public final class HttpFrontNumbers implements HttpNumbers {
    private final HttpFront front;

    /** @param front an {@code io.handlerregistry.http.api.HttpFront} */
    public HttpFrontNumbers(Object front) {
        this.front = (HttpFront) front;
    }

    @Override
    public List<String> listeners() {
        return front.listeners().stream().map(HttpFront.Listener::url).collect(Collectors.toList());
    }

    @Override
    public long connections() {
        return front.counters().connections();
    }

    @Override
    public long inFlight() {
        return front.counters().inFlight();
    }

    @Override
    public Map<Integer, Long> statuses() {
        return front.counters().statuses();
    }

    @Override
    public Map<String, Map<Integer, Long>> endpointStatuses() {
        Map<String, Map<Integer, Long>> all = new TreeMap<>();
        front.endpointCounters().forEach((endpoint, c) -> all.put(endpoint, c.statuses()));
        return all;
    }

    @Override
    public Map<String, Latencies> endpointLatencies() {
        Map<String, Latencies> all = new TreeMap<>();
        front.endpointCounters().forEach((endpoint, c) -> all.put(endpoint, c.latencies()));
        return all;
    }
}
