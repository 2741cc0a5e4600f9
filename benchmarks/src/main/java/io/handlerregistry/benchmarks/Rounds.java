package io.handlerregistry.benchmarks;

import java.util.Arrays;
import java.util.Locale;

import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-round ratios of an interleaved measurement (see {@link DispatchRatio}, {@link ScalingRatio}),
 * printed as key=value lines for RunAll.
 */
final class Rounds {
    private final double[] ratios;
    private int count;

    Rounds(int rounds) {
        ratios = new double[rounds];
    }

    /** A Blackhole outside a JMH run: the calls' results must not be dropped by the compiler. */
    static Blackhole blackhole() {
        return new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
    }

    void add(double ratio) {
        ratios[count++] = ratio;
    }

    /** Prints {@code prefix.p10}, {@code .p50} and {@code .p90} of the ratios. */
    void print(String prefix) {
        double[] sorted = Arrays.copyOf(ratios, count);
        Arrays.sort(sorted);
        for (int p : new int[] {10, 50, 90}) {
            double q = sorted[(int) Math.round(p / 100.0 * (sorted.length - 1))];
            System.out.println(String.format(Locale.ROOT, "%s.p%d=%.3f", prefix, p, q));
        }
    }
}
