package io.handlerregistry.admin.server;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

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
    public Map<String, Map<Long, Answers>> versionAnswers() {
        Map<String, Map<Long, Answers>> all = new TreeMap<>();
        front.versionCounters().forEach((endpoint, versions) -> {
            Map<Long, Answers> answers = new TreeMap<>();
            versions.forEach((generation, c) -> answers.put(generation, new Answers(c.statuses(), c.latencies())));
            all.put(endpoint, answers);
        });
        return all;
    }
}
