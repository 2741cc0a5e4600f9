package io.handlerregistry.http.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.LoadedHandler;
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
    private final Supplier<Set<Long>> live;
    private volatile int max;

    /**
     * @param live the generations of the versions the registry holds now: the answers per version
     *             are kept for those only
     */
    Traffic(int max, Supplier<Set<Long>> live) {
        this.max = max;
        this.live = live;
        for (int i = 100; i < statuses.length; i++) {
            statuses[i] = new LongAdder();
        }
    }

    /** The generations of the versions {@code registry} holds now (asked once per new version, not per request). */
    static Supplier<Set<Long>> versionsOf(HandlerRegistry registry) {
        return () -> registry.handlers().stream().map(LoadedHandler::generation).collect(Collectors.toSet());
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

    /** The arrival time to hand to {@link #answered(String, long, int, long)}: {@link System#nanoTime()}, if counted. */
    long arrival() {
        return countedPerEndpoint ? System.nanoTime() : 0;
    }

    /**
     * An answer for a routed endpoint whose request arrived at {@code arrived} ({@link #arrival()}),
     * taken by the version of that {@code generation} (0: by none).
     */
    void answered(String endpoint, long generation, int status, long arrived) {
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
        answers.of(generation, live).add(status, nanos);
    }

    /** The answers per endpoint, all versions together. */
    Map<String, HttpFront.EndpointCounters> byEndpoint() {
        Map<String, HttpFront.EndpointCounters> all = new TreeMap<>();
        byEndpoint.forEach((endpoint, answers) -> all.put(endpoint, answers.total()));
        return all;
    }

    /** The answers per endpoint and version (generation; 0: taken by none), of the versions still loaded. */
    Map<String, Map<Long, HttpFront.EndpointCounters>> byVersion() {
        Map<String, Map<Long, HttpFront.EndpointCounters>> all = new TreeMap<>();
        byEndpoint.forEach((endpoint, answers) -> all.put(endpoint, answers.byVersion()));
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

    /**
     * The answers for one endpoint, per version that took the request: a short array replaced whole
     * when a version comes (no lock and no boxed key on the request path). A version the registry no
     * longer holds goes when the next one comes; its answers stay in the endpoint's total.
     */
    private static final class EndpointAnswers {
        private final Answers none = new Answers(0);
        private final Answers gone = new Answers(-1);
        private final AtomicReference<Answers[]> versions = new AtomicReference<>(new Answers[0]);

        Answers of(long generation, Supplier<Set<Long>> live) {
            if (generation == 0) {
                return none;
            }
            for (;;) {
                Answers[] now = versions.get();
                for (Answers a : now) {
                    if (a.generation == generation) {
                        return a;
                    }
                }
                Set<Long> held = live.get();
                if (!held.contains(generation)) {
                    return gone; // answered after its version was unloaded
                }
                List<Answers> next = new ArrayList<>(now.length + 1);
                for (Answers a : now) {
                    if (held.contains(a.generation)) {
                        next.add(a);
                    }
                }
                Answers added = new Answers(generation);
                next.add(added);
                if (versions.compareAndSet(now, next.toArray(new Answers[0]))) {
                    for (Answers a : now) {
                        if (!next.contains(a)) {
                            gone.addAll(a); // an answer still counting into it now is lost: one in a race
                        }
                    }
                    return added;
                }
            }
        }

        HttpFront.EndpointCounters total() {
            Answers sum = new Answers(-1);
            sum.addAll(none);
            sum.addAll(gone);
            for (Answers a : versions.get()) {
                sum.addAll(a);
            }
            return sum.snapshot();
        }

        Map<Long, HttpFront.EndpointCounters> byVersion() {
            Map<Long, HttpFront.EndpointCounters> all = new TreeMap<>();
            HttpFront.EndpointCounters withoutVersion = none.snapshot();
            if (!withoutVersion.statuses().isEmpty()) {
                all.put(0L, withoutVersion);
            }
            for (Answers a : versions.get()) {
                all.put(a.generation, a.snapshot());
            }
            return all;
        }
    }

    /** Answers by status, and a histogram of their latencies. */
    private static final class Answers {
        final long generation;
        private final ConcurrentHashMap<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        private final LongAdder[] latencies = new LongAdder[Latencies.BUCKETS];

        Answers(long generation) {
            this.generation = generation;
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

        void addAll(Answers other) {
            other.statuses.forEach((status, n) -> statuses.computeIfAbsent(status, x -> new LongAdder()).add(n.sum()));
            for (int i = 0; i < latencies.length; i++) {
                latencies[i].add(other.latencies[i].sum());
            }
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
