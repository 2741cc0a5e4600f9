package io.handlerregistry.http.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.handlerregistry.api.Latencies;
import io.handlerregistry.http.api.HttpFront;

/**
 * The requests being answered, bounded, and the answers given. At most {@code max} requests are
 * answered at once, and those of one endpoint take at most half of the places (at least one): a
 * handler that hangs holds threads up to its share, the other endpoints keep the rest, and a
 * request beyond either bound gets 503 at once instead of waiting in a queue.
 */
final class Traffic {
    private static final int MAX_ENDPOINTS = 4096;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perEndpoint = new ConcurrentHashMap<>();
    private final LongAdder[] statuses = new LongAdder[600];
    /**
     * System property, read when a front starts: false turns the answers per endpoint (statuses and
     * latencies, {@code HttpFront.endpointCounters()}) off. For the benchmark of what they cost.
     */
    static final String ENDPOINT_COUNTERS = "io.handlerregistry.http.endpoint.counters";

    private final ConcurrentHashMap<String, EndpointAnswers> byEndpoint = new ConcurrentHashMap<>();
    private final boolean countedPerEndpoint = !"false".equals(System.getProperty(ENDPOINT_COUNTERS));
    private final long started = System.nanoTime();
    private volatile int max;

    Traffic(int max) {
        this.max = max;
        for (int i = 100; i < statuses.length; i++) {
            statuses[i] = new LongAdder();
        }
    }

    void setMax(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Half of the places: what one endpoint may hold. */
    int endpointShare() {
        return Math.max(1, max / 2);
    }

    /**
     * Takes a place for a request of {@code endpoint}, if one is free.
     *
     * @return the endpoint's count, to hand back to {@link #leave}; null if there was no place
     */
    AtomicInteger enter(String endpoint) {
        if (inFlight.incrementAndGet() > max) {
            inFlight.decrementAndGet();
            return null;
        }
        AtomicInteger count = perEndpoint.get(endpoint);
        if (count == null) {
            if (perEndpoint.size() > MAX_ENDPOINTS) {
                perEndpoint.values().removeIf(c -> c.get() == 0); // endpoints gone by the thousand
            }
            count = perEndpoint.computeIfAbsent(endpoint, e -> new AtomicInteger());
        }
        if (count.incrementAndGet() > endpointShare()) {
            count.decrementAndGet();
            inFlight.decrementAndGet();
            return null;
        }
        return count;
    }

    void leave(AtomicInteger endpointCount) {
        endpointCount.decrementAndGet();
        inFlight.decrementAndGet();
    }

    /** Requests of the endpoint answered now. */
    int inFlight(String endpoint) {
        AtomicInteger count = perEndpoint.get(endpoint);
        return count == null ? 0 : count.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    void answered(int status) {
        statuses[status >= 100 && status < 600 ? status : 500].increment();
    }

    /** The arrival time to hand to {@link #answered(String, int, long)}: {@link System#nanoTime()}, if counted. */
    long arrival() {
        return countedPerEndpoint ? System.nanoTime() : 0;
    }

    /** An answer for a routed endpoint whose request arrived at {@code arrived} ({@link #arrival()}). */
    void answered(String endpoint, int status, long arrived) {
        answered(status);
        if (!countedPerEndpoint) {
            return;
        }
        long nanos = System.nanoTime() - arrived;
        EndpointAnswers answers = byEndpoint.get(endpoint);
        if (answers == null) {
            if (status == 404 || byEndpoint.size() >= MAX_ENDPOINTS) {
                return; // an id nobody serves, or ids by the thousand: counted by status only
            }
            answers = byEndpoint.computeIfAbsent(endpoint, e -> new EndpointAnswers());
        }
        answers.add(status, nanos);
    }

    Map<String, HttpFront.EndpointCounters> byEndpoint() {
        Map<String, HttpFront.EndpointCounters> all = new TreeMap<>();
        byEndpoint.forEach((endpoint, answers) -> all.put(endpoint, answers.snapshot()));
        return all;
    }

    long answered() {
        long sum = 0;
        for (int i = 100; i < statuses.length; i++) {
            sum += statuses[i].sum();
        }
        return sum;
    }

    Map<Integer, Long> byStatus() {
        Map<Integer, Long> counts = new TreeMap<>();
        for (int i = 100; i < statuses.length; i++) {
            long n = statuses[i].sum();
            if (n > 0) {
                counts.put(i, n);
            }
        }
        return counts;
    }

    long nanosSinceStart() {
        return System.nanoTime() - started;
    }

    /** The answers for one endpoint: by status, and a histogram of their latencies. */
    private static final class EndpointAnswers {
        private final ConcurrentHashMap<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        private final LongAdder[] latencies = new LongAdder[Latencies.BUCKETS];

        EndpointAnswers() {
            for (int i = 0; i < latencies.length; i++) {
                latencies[i] = new LongAdder();
            }
        }

        void add(int status, long nanos) {
            LongAdder count = statuses.get(status);
            if (count == null) {
                count = statuses.computeIfAbsent(status, s -> new LongAdder());
            }
            count.increment();
            latencies[Latencies.bucket(Math.max(0, nanos))].increment();
        }

        HttpFront.EndpointCounters snapshot() {
            Map<Integer, Long> counts = new TreeMap<>();
            statuses.forEach((status, n) -> counts.put(status, n.sum()));
            long[] buckets = new long[Latencies.BUCKETS];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = latencies[i].sum();
            }
            return new HttpFront.EndpointCounters(counts, new Latencies(buckets, 1));
        }
    }
}
