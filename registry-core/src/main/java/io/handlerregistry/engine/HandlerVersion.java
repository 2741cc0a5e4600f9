package io.handlerregistry.engine;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import io.handlerregistry.api.CallOutcomes;
import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.RequestGuard;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.api.WorkerStatus;
import io.handlerregistry.spi.Handler;

/**
 * One loaded version of an endpoint's handler: the handler, its request tracking, and what to
 * close once it drained (the native library it loaded; nothing for handler services, which their
 * owner closes). The registry keeps one per version it serves; a handler bundle keeps one for the
 * library it loaded (see {@link #adoptLibrary(String, Path, String)}).
 *
 * <p>The drain is race-free (see {@link RequestTracker}): once {@link #startDraining()} returned, no
 * new call gets in, and {@link #drained()} completes when the last call inside returned.
 */
public final class HandlerVersion implements LoadedHandler, IsolationInfo {
    /** Where the worker exits of adopted libraries (handler bundles) are handled. */
    private static final ExecutorService LIFECYCLE = Executors.newCachedThreadPool(
            DaemonThreads.named("handler-bundle-lifecycle"));
    private final String endpointId;
    private final long generation;
    private final String source;
    private final String version;
    private final Handler handler;
    private final AutoCloseable resources;
    private final Path loadedCopy;
    private final Instant loadedAt = Instant.now();
    private final RequestTracker tracker;
    /** This version in {@link OverdueCalls}. */
    private final long id = OverdueCalls.newVersionId();
    private final LatencyRecorder latencies; // null: not timed (a handler bundle's own, timed by the registry)
    private final LongAdder failures = new LongAdder();
    /** Of the failures: worker crashes. Then callers that stopped waiting, and calls refused for want of a place. */
    private final LongAdder crashes = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder overloads = new LongAdder();
    private final CallLimit limit; // null: none (a handler bundle's own: the registry's version of it has one)
    private final AtomicBoolean unloaded = new AtomicBoolean();
    private volatile Instant drainingSince;
    private volatile long drainingSinceNanos;
    private volatile boolean pinned;
    private final Provenance provenance; // null: not the registry's own (a handler bundle's library)
    /** On the primary of a canary split: the split, read once by every call (set under the endpoint's order). */
    volatile Canary split;
    /** On the canary of a split: its primary; null otherwise (set under the endpoint's order). */
    volatile HandlerVersion canaryOf;
    /** {@link System#nanoTime()} when it took effect (became the active version or a canary); 0 before. */
    volatile long tookEffectNanos;
    /** True for a version that replaced another and was not made by a rollback: the guard watches it. */
    volatile boolean guarded;

    private HandlerVersion(String endpointId, long generation, String source, String version, Handler handler,
            AutoCloseable resources, Path loadedCopy, boolean timed, CallLimit limit, Provenance provenance) {
        this.endpointId = endpointId;
        this.generation = generation;
        this.source = source;
        this.version = version;
        this.handler = handler;
        this.resources = resources;
        this.loadedCopy = loadedCopy;
        this.latencies = timed ? new LatencyRecorder() : null;
        this.limit = limit;
        this.tracker = new RequestTracker(limit);
        this.provenance = provenance;
    }

    /** A version loaded by the registry from a library file: unloaded by the registry. */
    static HandlerVersion ofLibrary(String endpointId, long generation, String source, NativeHandler handler,
            CallLimit limit, Provenance provenance) {
        return new HandlerVersion(endpointId, generation, source, versionOf(provenance), handler, handler,
                handler.loadedCopy(), true, limit, provenance);
    }

    private static String versionOf(Provenance provenance) {
        return provenance.version().isEmpty() ? null : provenance.version();
    }

    /** A version loaded by the registry from a library file into worker processes: unloaded by the registry. */
    static HandlerVersion ofIsolated(String endpointId, long generation, String source, IsolatedHandler handler,
            Path copy, CallLimit limit, Provenance provenance) {
        return new HandlerVersion(endpointId, generation, source, versionOf(provenance), handler, handler, copy, true,
                limit, provenance);
    }

    /**
     * Loads a library file that already is a private copy (e.g. extracted from a bundle) for an
     * endpoint: the file is checked, loaded (ABI check, {@code handler_init}) and deleted once the
     * version is unloaded, or at once if the load fails.
     *
     * @param source where the file comes from, for messages and {@code handler_init}
     * @throws io.handlerregistry.api.HandlerLoadException why it was refused
     */
    public static HandlerVersion adoptLibrary(String endpointId, Path file, String source) {
        NativeHandler handler = NativeHandler.open(endpointId, file, source, LibraryCopy.adopt(endpointId, file));
        return new HandlerVersion(endpointId, 0, source, null, handler, handler, handler.loadedCopy(), false, null,
                null);
    }

    /**
     * Like {@link #adoptLibrary(String, Path, String)}, in the isolation given; in process isolation
     * the worker program is written beside the file.
     */
    public static HandlerVersion adoptLibrary(String endpointId, Path file, String source, Isolation isolation,
            ProcessIsolation settings, Duration initTimeout) {
        if (isolation == Isolation.IN_PROCESS) {
            return adoptLibrary(endpointId, file, source);
        }
        LibraryCopy copy = LibraryCopy.adopt(endpointId, file);
        IsolatedHandler handler = IsolatedHandler.start(endpointId, file, source, copy,
                file.toAbsolutePath().getParent(), settings, initTimeout, LIFECYCLE);
        return new HandlerVersion(endpointId, 0, source, null, handler, handler, copy.path(), false, null, null);
    }

    /** A version provided by someone else (a service): the registry only stops calling it. */
    static HandlerVersion ofHandler(String endpointId, long generation, String source, String version,
            Handler handler, CallLimit limit, Provenance provenance) {
        return new HandlerVersion(endpointId, generation, source, version, handler, null, null, true, limit,
                provenance);
    }

    /** Where this version comes from, for the endpoint's history; null for a handler bundle's own. */
    Provenance provenance() {
        return provenance;
    }

    /** What {@link #readIfActive} returns when this version takes no new requests. */
    public static final Object NOT_ACTIVE = new Object();

    /**
     * Calls the handler as one tracked request, unless this version is draining.
     *
     * @return the response, or null when this version takes no new requests
     */
    public HandlerResponse callIfActive(RequestContext context, HandlerRequest request) {
        Object response = enter(context, request, null, null);
        return response == NOT_ACTIVE ? null : (HandlerResponse) response;
    }

    /**
     * Like {@link #callIfActive}, handing the response to {@code reader} inside the call: the body
     * where it lies if the handler is {@link ResponseViews}, else a copy. An exception of the reader
     * is not counted as the handler's.
     *
     * @return what the reader returned, or {@link #NOT_ACTIVE} when this version takes no new requests
     */
    public Object readIfActive(RequestContext context, HandlerRequest request, ResponseReader<?> reader) {
        return enter(context, request, null, reader);
    }

    /**
     * Like {@link #readIfActive(RequestContext, HandlerRequest, ResponseReader)}, handing this version to
     * {@code taken} once the call has its place here, before the handler runs.
     */
    public Object readIfActive(RequestContext context, HandlerRequest request, Consumer<? super LoadedHandler> taken,
            ResponseReader<?> reader) {
        return enter(context, request, taken, reader);
    }

    /** One tracked call: {@code handle}, or with a reader {@code read}. */
    private Object enter(RequestContext context, HandlerRequest request, Consumer<? super LoadedHandler> taken,
            ResponseReader<?> reader) {
        int slot = tracker.tryAcquire(true);
        if (slot < 0) {
            slot = slot == RequestTracker.FULL ? waitForPlace(context) : slot;
            if (slot == RequestTracker.DRAINING) {
                return NOT_ACTIVE;
            }
        }
        boolean timed = latencies != null && RequestTracker.sampled(slot);
        long start = timed ? System.nanoTime() : 0;
        long deadline = context.deadlineUnixNanos();
        OverdueCalls.Slot overdue = null;
        long outerVersion = 0;
        long outerDeadline = 0;
        // noted where OverdueCalls sees it while the call is inside; not for a handler bundle's own
        // version (limit null), called from inside the registry's version that stands for it
        if (deadline != 0 && limit != null) {
            overdue = OverdueCalls.slot();
            outerVersion = overdue.versionId();
            outerDeadline = overdue.deadline();
            overdue.set(id, deadline);
        }
        try {
            if (taken != null) {
                tell(taken);
            }
            if (reader != null) {
                return read(context, request, reader);
            }
            return respond(handler.handle(context, request));
        } catch (ReaderFailure e) {
            throw Unchecked.of(e.getCause()); // the reader's, not the handler's
        } catch (RuntimeException e) {
            failures.increment();
            if (e instanceof HandlerCrashedException) {
                crashes.increment();
            }
            throw e;
        } finally {
            if (overdue != null) {
                overdue.set(outerVersion, outerDeadline);
            }
            if (timed) {
                latencies.record(RequestTracker.stripe(slot), System.nanoTime() - start);
            }
            tracker.release(slot);
        }
    }

    private HandlerResponse respond(HandlerResponse response) {
        if (response == null) {
            throw new HandlerException(endpointId, "handler for endpoint '" + endpointId + "' (" + source
                    + ") returned no response; a Handler must return one or throw");
        }
        return response;
    }

    private Object read(RequestContext context, HandlerRequest request, ResponseReader<?> reader) {
        ResponseReader<?> guarded = (response, body) -> {
            try {
                return reader.read(response, body);
            } catch (RuntimeException e) {
                throw new ReaderFailure(e);
            }
        };
        if (handler instanceof ResponseViews) {
            return ((ResponseViews) handler).read(context, request, guarded);
        }
        HandlerResponse response = respond(handler.handle(context, request));
        return guarded.read(response, ByteBuffer.wrap(response.body()).asReadOnlyBuffer());
    }

    private void tell(Consumer<? super LoadedHandler> taken) {
        try {
            taken.accept(this);
        } catch (RuntimeException e) {
            throw new ReaderFailure(e);
        }
    }

    /** Carries a reader's (or a {@code taken}'s) exception through the handler's failure count. */
    private static final class ReaderFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ReaderFailure(RuntimeException cause) {
            super(cause);
        }
    }

    /**
     * The call found this version's places taken: waits for one if the limit lets it.
     *
     * @return a slot, or {@link RequestTracker#DRAINING}
     * @throws HandlerOverloadedException if it got none
     */
    private int waitForPlace(RequestContext context) {
        int slot = tracker.acquireWaiting(context.deadlineUnixNanos());
        if (slot >= 0 || slot == RequestTracker.DRAINING) {
            return slot;
        }
        String why;
        switch (slot) {
            case RequestTracker.NO_DEADLINE:
                why = "it has no deadline to wait until (max.waiting.calls lets only calls with one wait)";
                break;
            case RequestTracker.NO_ROOM_TO_WAIT:
                why = limit.maxWaiting() == 0 ? "calls do not wait for a place (max.waiting.calls is 0)"
                        : CallCount.of(limit.maxWaiting()) + (limit.maxWaiting() == 1 ? " waits" : " wait")
                                + " already (max.waiting.calls)";
                break;
            case RequestTracker.DEADLINE_PASSED:
                why = "its deadline passed while it waited for a place";
                break;
            default:
                why = "it was interrupted while it waited for a place";
                break;
        }
        int max = limit.max();
        overloads.increment();
        throw new HandlerOverloadedException(endpointId, max, "endpoint '" + endpointId + "' refused the call"
                + " without starting it: " + CallCount.of(max) + (max == 1 ? " is" : " are") + " inside its version"
                + " from " + source + " already (its limit, max.concurrent.calls) and " + why + ". If calls are stuck in its handler (handler:info "
                + endpointId + " shows them as overdue), swap in a fixed version, which gets places of its own;"
                + " if it is only busy, raise the limit");
    }

    /**
     * In process isolation: kills this version's workers, so that the calls hanging inside fail and
     * it drains (nothing is restarted); also those of a handler someone else provides (a handler
     * bundle's) that runs its library in workers. In-process nothing can end a call: false.
     */
    @Override
    public boolean killWorkers(String because) {
        return handler instanceof IsolationInfo && ((IsolationInfo) handler).killWorkers(because);
    }

    /** This version's limit of concurrent calls; null for none. */
    CallLimit limit() {
        return limit;
    }

    boolean isDrained() {
        return tracker.isDrained();
    }

    boolean isUnloaded() {
        return unloaded.get();
    }

    /** Completes once draining started and no request is inside. */
    public CompletableFuture<Void> drained() {
        return tracker.drained();
    }

    /** Stops new requests; returns true if this call started the drain. */
    public boolean startDraining() {
        if (tracker.startDraining()) {
            drainingSinceNanos = System.nanoTime();
            drainingSince = Instant.now();
            return true;
        }
        return false;
    }

    /**
     * Unloads the library if the drain is complete and nobody unloaded it yet.
     *
     * @return true if this call unloaded it
     */
    public boolean unloadIfDrained() {
        if (!claimUnload()) {
            return false;
        }
        closeResources();
        notePinnedAtUnload();
        return true;
    }

    /** Takes the unload for the caller if the drain is complete and nobody took it yet. */
    boolean claimUnload() {
        return tracker.isDrained() && unloaded.compareAndSet(false, true);
    }

    /** Unloads what this version holds (handler_shutdown, the library, its copy): once, after {@link #claimUnload()}. */
    void closeResources() {
        if (resources != null) {
            try {
                resources.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public String endpointId() {
        return endpointId;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Optional<String> version() {
        return Optional.ofNullable(version);
    }

    @Override
    public Optional<Path> loadedCopy() {
        return Optional.ofNullable(loadedCopy);
    }

    @Override
    public CompletionStage<Void> whenDrained() {
        return tracker.drained().minimalCompletionStage();
    }

    @Override
    public Instant loadedAt() {
        return loadedAt;
    }

    @Override
    public Isolation isolation() {
        return handler instanceof IsolationInfo ? ((IsolationInfo) handler).isolation() : Isolation.IN_PROCESS;
    }

    @Override
    public Optional<WorkerStatus> workers() {
        return handler instanceof IsolationInfo ? ((IsolationInfo) handler).workers() : Optional.empty();
    }

    @Override
    public HandlerState state() {
        if (!tracker.isDraining()) {
            return workers().map(WorkerStatus::failed).orElse(false) ? HandlerState.FAILED : HandlerState.ACTIVE;
        }
        if (!tracker.isDrained()) {
            return HandlerState.DRAINING;
        }
        return isPinned() ? HandlerState.PINNED : HandlerState.DRAINED;
    }

    /** True if, when last checked, this version was unloaded but its library was still mapped. */
    boolean isPinned() {
        return pinned;
    }

    /**
     * Right after the unload: notes (and logs) whether the platform loader keeps this version's
     * library mapped all the same.
     */
    boolean notePinnedAtUnload() {
        pinned = unloaded.get() && resources instanceof NativeHandler
                && ((NativeHandler) resources).reportIfStillMapped();
        return pinned;
    }

    /** Looks again whether the platform loader keeps this unloaded version's library mapped. */
    boolean checkPinned() {
        pinned = unloaded.get() && resources instanceof NativeHandler && ((NativeHandler) resources).isMapped();
        return pinned;
    }

    @Override
    public boolean isDraining() {
        return tracker.isDraining();
    }

    @Override
    public boolean isCanary() {
        return canaryOf != null && !tracker.isDraining();
    }

    @Override
    public double trafficPercent() {
        if (tracker.isDraining()) {
            return 0;
        }
        Canary own = split;
        if (own != null) {
            return 100 - own.percent();
        }
        HandlerVersion primary = canaryOf;
        if (primary != null) {
            Canary of = primary.split;
            return of != null && of.version() == this ? of.percent() : 0;
        }
        return 100;
    }

    /** The version a call that found this one in the registry's map goes to: this one, or its split's canary. */
    HandlerVersion route() {
        Canary c = split;
        return c != null && ThreadLocalRandom.current().nextInt(10_000) < c.threshold() ? c.version() : this;
    }

    @Override
    public Optional<Instant> drainingSince() {
        return Optional.ofNullable(drainingSince);
    }

    @Override
    public long activeRequests() {
        return Math.max(0, tracker.inFlight());
    }

    @Override
    public long overdueCalls() {
        return activeRequests() == 0 ? 0 : OverdueCalls.count(id);
    }

    @Override
    public long totalCalls() {
        return tracker.completed();
    }

    @Override
    public Latencies latencies() {
        return latencies == null ? Latencies.none(0) : latencies.snapshot();
    }

    @Override
    public long failedCalls() {
        return failures.sum();
    }

    @Override
    public CallOutcomes outcomes() {
        long failed = failures.sum();
        long crashed = crashes.sum();
        return new CallOutcomes(Math.max(0, tracker.completed() - failed), failed - crashed, crashed, timeouts.sum(),
                overloads.sum());
    }

    /** A caller of {@code executeWithTimeout} stopped waiting for a call of this version. */
    void countTimeout() {
        timeouts.increment();
    }

    /** A call of this version was refused without starting (no place, no thread). */
    void countOverloaded() {
        overloads.increment();
    }

    /** {@link System#nanoTime()} when the drain started; 0 before. */
    long drainingSinceNanos() {
        return drainingSinceNanos;
    }

    @Override
    public Optional<RequestGuard> acquireRequest() {
        int cell = tracker.tryAcquire(false);
        if (cell < 0) {
            return Optional.empty();
        }
        AtomicBoolean closed = new AtomicBoolean();
        return Optional.of(() -> {
            if (closed.compareAndSet(false, true)) {
                tracker.release(cell);
            }
        });
    }

    @Override
    public String toString() {
        return "endpoint '" + endpointId + "' #" + generation + " from " + source + " (" + state() + ", "
                + activeRequests() + " in flight)";
    }
}
