package io.handlerregistry.http.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

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
}
