package io.handlerregistry.shell.internal;

/**
 * Counts latencies in logarithmic buckets with 32 steps per power of two (about 3 % precision),
 * so a bench of millions of calls needs 16 KiB per thread and no sorting. Not thread-safe: one per
 * thread, merged at the end.
 */
final class LatencyHistogram {
    private static final int STEPS = 32;
    private final long[] counts = new long[64 * STEPS];
    private long total;
    private long max;

    void record(long nanos) {
        long v = Math.max(1, nanos);
        int power = 63 - Long.numberOfLeadingZeros(v);
        int step = power < 5 ? (int) (v << (5 - power)) & (STEPS - 1) : (int) (v >>> (power - 5)) & (STEPS - 1);
        counts[power * STEPS + step]++;
        total++;
        max = Math.max(max, nanos);
    }

    void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    /** The latency below which {@code percent} of the calls were, in nanoseconds (bucket's upper bound). */
    long percentile(double percent) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percent / 100 * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                int power = i / STEPS;
                int step = i % STEPS;
                long upper = power < 5 ? ((long) (STEPS + step + 1) >> (5 - power))
                        : ((long) (STEPS + step + 1)) << (power - 5);
                return Math.min(upper, max);
            }
        }
        return max;
    }
}
