package io.handlerregistry.api;

import java.util.Arrays;

/**
 * The call latencies of one loaded version so far, as a histogram: counts of timed calls by
 * duration, in buckets a quarter of a power of two wide (a bucket's bound is at most 25 % above the
 * durations in it). Not every call is timed: one in {@link #sampling()}, so that timing costs the
 * call path little. Immutable; {@link #since(Latencies)} gives the calls between two snapshots, e.g.
 * for the last second of a live view.
 */
public final class Latencies {
    /** Durations below this (64 ns) share the first bucket. */
    private static final int FIRST_EXPONENT = 6;
    /** Buckets: the first, then 4 per power of two from 2^6 to 2^39 ns (about 9 minutes). */
    public static final int BUCKETS = 1 + 34 * 4;

    private final long[] counts;
    private final int sampling;

    /**
     * @param counts   timed calls per bucket (see {@link #bucket(long)}); copied
     * @param sampling one call in this many is timed (0: none)
     */
    public Latencies(long[] counts, int sampling) {
        if (counts.length != BUCKETS) {
            throw new IllegalArgumentException("expected " + BUCKETS + " buckets, not " + counts.length);
        }
        this.counts = counts.clone();
        this.sampling = sampling;
    }

    /** No call timed. */
    public static Latencies none(int sampling) {
        return new Latencies(new long[BUCKETS], sampling);
    }

    /** The bucket of a duration in nanoseconds. */
    public static int bucket(long nanos) {
        if (nanos < 1L << FIRST_EXPONENT) {
            return 0;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(nanos);
        int quarter = (int) (nanos >>> (exponent - 2)) & 3;
        return Math.min(BUCKETS - 1, 1 + (exponent - FIRST_EXPONENT) * 4 + quarter);
    }

    /** The largest duration, in nanoseconds, that falls into a bucket. */
    public static long upperBound(int bucket) {
        if (bucket == 0) {
            return (1L << FIRST_EXPONENT) - 1;
        }
        int exponent = FIRST_EXPONENT + (bucket - 1) / 4;
        int quarter = (bucket - 1) % 4;
        return ((4L + quarter + 1) << (exponent - 2)) - 1;
    }

    /** One call in this many is timed; 0 when timing is off. */
    public int sampling() {
        return sampling;
    }

    /** The timed calls. */
    public long count() {
        return Arrays.stream(counts).sum();
    }

    /** Timed calls per bucket. */
    public long[] counts() {
        return counts.clone();
    }

    /** The calls timed since an earlier snapshot of the same version. */
    public Latencies since(Latencies earlier) {
        long[] delta = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            delta[i] = Math.max(0, counts[i] - earlier.counts[i]);
        }
        return new Latencies(delta, sampling);
    }

    /**
     * The duration that {@code percent} % of the timed calls did not exceed, in nanoseconds (the bound
     * of its bucket), or -1 when no call was timed.
     */
    public long percentileNanos(double percent) {
        long total = count();
        if (total == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(total * percent / 100.0));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return upperBound(i);
            }
        }
        return upperBound(BUCKETS - 1);
    }

    @Override
    public String toString() {
        return count() + " calls timed, p50 " + percentileNanos(50) + " ns, p99 " + percentileNanos(99) + " ns";
    }
}
