package io.handlerregistry.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import io.handlerregistry.api.Latencies;

/**
 * Records the durations of sampled calls of one version into a histogram striped like the request
 * counts (see {@link RequestTracker}): the thread that made the call adds to its own stripe, so
 * threads do not share the lines they write. Sampling keeps the cost of two clock reads off most
 * calls: one in {@value #PROPERTY} (default 16, a power of two; 0 turns timing off) is timed.
 */
final class LatencyRecorder {
    /** System property: one call in this many is timed (a power of two; 0: none). */
    static final String PROPERTY = "io.handlerregistry.latency.sampling";
    /** The sampling, read once: a constant the compiler folds into the call path. */
    static final int SAMPLING = sampling();
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] counts = new long[RequestTracker.STRIPES * Latencies.BUCKETS];

    /** Records the duration of a call made in a stripe of the request tracker. */
    void record(int stripe, long nanos) {
        COUNTS.getAndAdd(counts, stripe * Latencies.BUCKETS + Latencies.bucket(nanos), 1L);
    }

    Latencies snapshot() {
        long[] sum = new long[Latencies.BUCKETS];
        for (int i = 0; i < counts.length; i++) {
            sum[i % Latencies.BUCKETS] += (long) COUNTS.getOpaque(counts, i);
        }
        return new Latencies(sum, SAMPLING);
    }

    private static int sampling() {
        int value = Integer.getInteger(PROPERTY, 16);
        if (value < 0 || Integer.bitCount(value) > 1) {
            System.getLogger(LatencyRecorder.class.getName()).log(System.Logger.Level.WARNING,
                    "{0}={1} is not 0 or a power of two; using 16", PROPERTY, value);
            return 16;
        }
        return value;
    }
}
