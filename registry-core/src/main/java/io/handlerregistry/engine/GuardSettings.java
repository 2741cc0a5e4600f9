package io.handlerregistry.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of the registry's guard for one endpoint (see {@link NativeHandlerRegistry#configureGuard}):
 * whether it watches the endpoint, and when it acts.
 *
 * <p>The guard watches a version that replaced another (a swap, a deploy, a promoted canary; not a version a
 * rollback made, nor the first of its endpoint) for {@link #watch} after it took effect, and the canary of a
 * split for as long as the split lasts. When, over the last {@link #window} (or since it took effect, if
 * that is shorter), at least {@link #minRequests} of its calls ended and more than {@link #maxFailureRatio}
 * of them failed (handler errors, crashes, callers that timed out), it rolls the endpoint back to the
 * version before (a canary: aborts the split). A canary that has not failed so for {@link #promoteAfter}
 * since its split started, and has had at least {@link #minRequests} calls, is promoted.
 *
 * @param enabled         whether the guard watches the endpoint
 * @param window          how far back the failures are counted
 * @param maxFailureRatio failures per call above which it acts: more than 0, at most 1
 * @param minRequests     calls needed within the window before it acts (at least 1)
 * @param promoteAfter    how long a healthy canary runs before the guard promotes it; zero: never
 * @param watch           how long after a swap the new version is watched; zero: as long as it serves
 */
public record GuardSettings(boolean enabled, Duration window, double maxFailureRatio, long minRequests,
        Duration promoteAfter, Duration watch) {

    /** The defaults: off; 60 s window, ratio 0.1, 20 calls, no promotion, 600 s watch. */
    public static final GuardSettings DEFAULTS = new GuardSettings(false, Duration.ofSeconds(60), 0.1, 20,
            Duration.ZERO, Duration.ofSeconds(600));

    public GuardSettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(promoteAfter, "promoteAfter");
        Objects.requireNonNull(watch, "watch");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the guard's window must be positive: " + window);
        }
        if (!(maxFailureRatio > 0 && maxFailureRatio <= 1)) {
            throw new IllegalArgumentException("the guard's max failure ratio must be more than 0 and at most 1: "
                    + maxFailureRatio);
        }
        if (minRequests < 1) {
            throw new IllegalArgumentException("the guard's min requests must be at least 1: " + minRequests);
        }
        if (promoteAfter.isNegative() || watch.isNegative()) {
            throw new IllegalArgumentException("the guard's promote after and watch must not be negative: "
                    + promoteAfter + ", " + watch);
        }
    }

    /** The same, on or off. */
    public GuardSettings enabled(boolean on) {
        return new GuardSettings(on, window, maxFailureRatio, minRequests, promoteAfter, watch);
    }
}
