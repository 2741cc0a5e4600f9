package io.handlerregistry.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RegistryActivity.SwapKind;

/**
 * What the registry counts beyond its versions' own counters (see {@link RegistryActivity}): the
 * generation, calls for endpoints that had no version (one adder on the path of a failing call only),
 * changes by kind and result, drain durations. Nothing here is touched by a call that finds its version.
 */
final class Activity {
    private final AtomicLong generation = new AtomicLong();
    private final LongAdder notFound = new LongAdder();
    private final ConcurrentHashMap<SwapKind, LongAdder> swaps = new ConcurrentHashMap<>();
    private final AtomicLongArray drains = new AtomicLongArray(Latencies.BUCKETS);
    private final ConcurrentHashMap<String, LongAdder> rollbacks = new ConcurrentHashMap<>();

    /** The active version of an endpoint changed. Called under the endpoint's order. */
    void changed() {
        generation.incrementAndGet();
    }

    void notFound() {
        notFound.increment();
    }

    /** Counts a change of this kind by how it ends, and returns or throws what it does. */
    <T> T count(String kind, Supplier<T> change) {
        try {
            T result = change.get();
            swap(kind, "ok");
            return result;
        } catch (HandlerLoadException e) {
            swap(kind, e.reason() == HandlerLoadException.Reason.SUPERSEDED ? "superseded" : "refused");
            throw e;
        }
    }

    /**
     * Counts a swap of this kind that returns the version it replaced: one that replaced nothing (the endpoint
     * had no version, e.g. a handler bundle's first) is counted as a {@code load}, as the registry logs it.
     */
    HandlerVersion countReplace(String kind, Supplier<HandlerVersion> change) {
        try {
            HandlerVersion old = change.get();
            swap(old == null ? "load" : kind, "ok");
            return old;
        } catch (HandlerLoadException e) {
            swap(kind, e.reason() == HandlerLoadException.Reason.SUPERSEDED ? "superseded" : "refused");
            throw e;
        }
    }

    void swap(String kind, String result) {
        swaps.computeIfAbsent(new SwapKind(kind, result), k -> new LongAdder()).increment();
    }

    /** A rollback took effect: {@code manual} or {@code guard}. */
    void rolledBack(String reason) {
        rollbacks.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** A version that was retired finished draining after this long. */
    void drained(long nanos) {
        drains.incrementAndGet(Latencies.bucket(Math.max(0, nanos)));
    }

    RegistryActivity snapshot() {
        Map<SwapKind, Long> counts = new HashMap<>();
        swaps.forEach((k, v) -> counts.put(k, v.sum()));
        long[] buckets = new long[Latencies.BUCKETS];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = drains.get(i);
        }
        Map<String, Long> rolledBack = new HashMap<>();
        rollbacks.forEach((k, v) -> rolledBack.put(k, v.sum()));
        return new RegistryActivity(generation.get(), notFound.sum(), counts, new Latencies(buckets, 1), rolledBack);
    }
}
