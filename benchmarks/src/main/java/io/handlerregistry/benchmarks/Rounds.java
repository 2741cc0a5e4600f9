package io.handlerregistry.benchmarks;

import java.util.Arrays;
import java.util.Locale;

import org.openjdk.jmh.infra.Blackhole;

/**
 * An interleaved measurement of two blocks of calls, a and b (see {@link DispatchRatio},
 * {@link ScalingRatio}): a warm-up that also sizes the blocks to about 20 ms each, then rounds in the
 * order a, b, b, a, so that a slow phase starting or ending mid-round weighs on both. Each round
 * gives the ratio of its a time to its b time; the results are printed as key=value lines for RunAll.
 */
final class Rounds {
    private static final long BLOCK_NANOS = 20_000_000;

    /** One block of {@code calls} calls; returns its wall time in nanoseconds. */
    @FunctionalInterface
    interface Block {
        long time(int calls) throws Exception;
    }

    private final double[] ratios;
    private final int callsPerBlock;
    private long totalA;
    private long totalB;

    private Rounds(int rounds, int callsPerBlock) {
        this.ratios = new double[rounds];
        this.callsPerBlock = callsPerBlock;
    }

    /** Warms up for {@code warmupSeconds} (both blocks get compiled), then measures {@code rounds} rounds. */
    static Rounds interleave(int rounds, double warmupSeconds, Block a, Block b) throws Exception {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int calls = 1_000;
        do {
            long t = a.time(calls) + b.time(calls);
            calls = (int) Math.max(1_000, Math.min(1_000_000, calls * (2.0 * BLOCK_NANOS / Math.max(1, t))));
        } while (System.nanoTime() < warmupEnd);
        Rounds result = new Rounds(rounds, calls);
        for (int i = 0; i < rounds; i++) {
            long timeA = a.time(calls);
            long timeB = b.time(calls);
            timeB += b.time(calls);
            timeA += a.time(calls);
            result.ratios[i] = (double) timeA / timeB;
            result.totalA += timeA;
            result.totalB += timeB;
        }
        return result;
    }

    /** A Blackhole outside a JMH run: the calls' results must not be dropped by the compiler. */
    static Blackhole blackhole() {
        return new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
    }

    int callsPerBlock() {
        return callsPerBlock;
    }

    /** Mean nanoseconds per call of block a, over all rounds. */
    long nanosPerCallA() {
        return totalA / (2L * callsPerBlock * ratios.length);
    }

    /** Mean nanoseconds per call of block b, over all rounds. */
    long nanosPerCallB() {
        return totalB / (2L * callsPerBlock * ratios.length);
    }

    /** Prints {@code prefix.p10}, {@code .p50} and {@code .p90} of the rounds' a/b ratios times {@code scale}. */
    void print(String prefix, double scale) {
        double[] sorted = Arrays.copyOf(ratios, ratios.length);
        Arrays.sort(sorted);
        for (int p : new int[] {10, 50, 90}) {
            double q = sorted[(int) Math.round(p / 100.0 * (sorted.length - 1))];
            System.out.println(String.format(Locale.ROOT, "%s.p%d=%.3f", prefix, p, q * scale));
        }
    }
}
