package io.handlerregistry.engine;

import java.time.Instant;

/**
 * The canary split of one endpoint, immutable, held by its primary version ({@link HandlerVersion#split}): a
 * call that finds the primary in the registry's map reads it once and goes to {@link #version} when a
 * thread-local random number out of 10,000 is below {@link #threshold}. A change of the split (its percent,
 * a new canary, its end) replaces the whole object, under the endpoint's order.
 *
 * @param version    the canary
 * @param threshold  its share in hundredths of a percent, 1 to 9,999
 * @param since      when the split started
 * @param sinceNanos the same, {@link System#nanoTime()}
 * @param origin     what the canary was split from, for people
 * @param sha256     the SHA-256 of the canary's library: a split to the same content only changes the percent
 * @param keptNumber the history entry the canary came from, 0 for a library file
 */
record Canary(HandlerVersion version, int threshold, Instant since, long sinceNanos, String origin, String sha256,
        int keptNumber) {

    double percent() {
        return threshold / 100.0;
    }

    Canary withThreshold(int newThreshold) {
        return new Canary(version, newThreshold, since, sinceNanos, origin, sha256, keptNumber);
    }

    /** The threshold of a percent, or IllegalArgumentException saying what is wanted. */
    static int threshold(double percent) {
        long t = Math.round(percent * 100);
        if (Double.isNaN(percent) || t < 1 || t > 9_999 || Math.abs(percent * 100 - t) > 1e-6) {
            throw new IllegalArgumentException("a canary's percent must be more than 0 and less than 100, to 0.01"
                    + " at most (e.g. 0.5, 5, 20), not " + percent);
        }
        return (int) t;
    }
}
