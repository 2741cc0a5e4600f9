package io.handlerregistry.api;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One loaded version of an endpoint's handler: its library, its in-flight request count and its
 * state. A registry keeps at most one {@link HandlerState#ACTIVE} version per endpoint, plus any
 * number of {@link HandlerState#DRAINING} ones that were replaced while calls were inside them.
 */
@ProviderType
public interface LoadedHandler {

    /** The endpoint this version serves. */
    String endpointId();

    /** Increases with every version the registry loads (for any endpoint); tells versions apart. */
    long generation();

    /** Where this version came from: the library file as given, or the service that provides it. */
    String source();

    /** The version its provider gave it (e.g. the bundle version); empty for library files. */
    Optional<String> version();

    /**
     * True for the canary of a {@link CanarySplit canary split}: a version on trial beside the one that served,
     * getting a share of the endpoint's new calls.
     *
     * @since 1.2
     */
    default boolean isCanary() {
        return false;
    }

    /**
     * The percent of the endpoint's new calls this version gets now: 100 for the only active version of its
     * endpoint, the split's shares for the primary and the canary of a {@link CanarySplit canary split}, 0 for
     * a version that takes no new calls (draining, unloaded).
     *
     * @since 1.2
     */
    default double trafficPercent() {
        return isDraining() ? 0 : 100;
    }

    /** Where this version's native code runs. */
    default Isolation isolation() {
        return Isolation.IN_PROCESS;
    }

    /** Its worker processes, when it runs in {@link Isolation#PROCESS process isolation}. */
    default Optional<WorkerStatus> workers() {
        return java.util.Optional.empty();
    }

    /** The private copy of the library file that was actually loaded; empty for handler services. */
    Optional<Path> loadedCopy();

    Instant loadedAt();

    HandlerState state();

    /** True once this version takes no new requests. */
    boolean isDraining();

    /** When draining started, if it did. */
    Optional<Instant> drainingSince();

    /** Completes once this version is draining and no request is inside it any more. */
    CompletionStage<Void> whenDrained();

    /** Requests inside this version right now. */
    long activeRequests();

    /**
     * Calls inside this version right now whose deadline ({@link RequestContext#deadlineUnixNanos()},
     * or the timeout of {@code executeWithTimeout}) has passed: stuck, or slower than their callers
     * wait for. They hold their threads and keep this version loaded until they return.
     */
    long overdueCalls();

    /** Calls made on this version so far (finished ones, failures included). */
    long totalCalls();

    /** Calls on this version that ended in a handler error. */
    long failedCalls();

    /**
     * How this version's calls ended so far (see {@link CallOutcomes}); by default from
     * {@link #totalCalls()} and {@link #failedCalls()} only.
     *
     * @since 1.2
     */
    default CallOutcomes outcomes() {
        long failed = failedCalls();
        return new CallOutcomes(Math.max(0, totalCalls() - failed), failed, 0, 0, 0);
    }

    /** The latencies of this version's calls so far (of those timed: see {@link Latencies#sampling()}). */
    Latencies latencies();

    /**
     * Registers one more request in flight: the library stays loaded until the guard is closed.
     * Empty once this version is draining; a guard is never handed out after draining started,
     * so a drain never misses a request.
     */
    Optional<RequestGuard> acquireRequest();
}
