package io.handlerregistry.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A canary split of one endpoint (see {@link HandlerRegistry#split(String, java.nio.file.Path, double)}): two
 * live versions share its new calls, the {@link #primary()} (the version that served before) and the
 * {@link #canary()}, which gets {@link #percent()} of them. Both are tracked and drained like any version.
 *
 * @param endpointId the endpoint
 * @param primary    the version that served before the split: it gets the other calls
 * @param canary     the version on trial
 * @param percent    the share of new calls the canary gets, more than 0 and less than 100 (to 0.01)
 * @param since      when the split took effect (a change of its percent keeps it)
 * @param origin     what the canary was split from, for people: the library file, or the kept version of the
 *                   history ({@code #2 (2.0.0): deploy/greeting.jar: ...})
 * @since 1.2
 */
public record CanarySplit(String endpointId, LoadedHandler primary, LoadedHandler canary, double percent,
        Instant since, String origin) {

    public CanarySplit {
        Objects.requireNonNull(endpointId, "endpointId");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(canary, "canary");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(origin, "origin");
    }

    /** The percent as people write it: {@code 20}, {@code 0.5}. */
    public static String format(double percent) {
        java.math.BigDecimal p = java.math.BigDecimal.valueOf(percent).setScale(2, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros();
        return p.scale() < 0 ? p.setScale(0).toPlainString() : p.toPlainString();
    }
}
