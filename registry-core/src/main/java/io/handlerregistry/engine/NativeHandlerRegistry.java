package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.InvalidEndpointIdException;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.api.SwapResult;
import io.handlerregistry.spi.Handler;

/**
 * The {@link HandlerRegistry} engine, usable on its own (no OSGi needed): an immutable-per-version
 * map of active handlers swapped atomically, plus the set of draining versions waiting for their
 * last call. Create one with {@link #create(Path)} or {@link #builder(Path)} and {@link #close()}
 * it when done; besides native libraries it also serves {@link Handler} objects written in Java.
 *
 * <p>Request path: read the active version from the map, take a request slot (fails only once
 * that version is draining, by which time the map already holds its successor), call, release.
 * No lock. Loads, swaps and unloads of one endpoint are ordered by its {@link EndpointOrder}, whose
 * monitor is held for the short steps before and after a library loads, never across a load and
 * never by a request.
 */
public final class NativeHandlerRegistry implements HandlerRegistry, AutoCloseable {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    /** The latest deadline a context holds (nanoseconds since the epoch in a long). */
    private static final Instant MAX_DEADLINE = Instant.ofEpochSecond(0, Long.MAX_VALUE);

    private final Path handlersDirectory;
    private final Path copyDirectory;
    private final boolean ownsCopyDirectory;
    private volatile Duration closeTimeout;
    private final ExecutorService callExecutor;
    private final Duration initTimeout;
    private final boolean ownsCallExecutor;
    private final ScheduledExecutorService cleanup;

    private final ConcurrentHashMap<String, HandlerVersion> active = new ConcurrentHashMap<>();
    private final Set<HandlerVersion> draining = ConcurrentHashMap.newKeySet();
    /** Unloaded versions whose library the platform loader keeps mapped (see {@link HandlerState#PINNED}). */
    private final Set<HandlerVersion> pinned = ConcurrentHashMap.newKeySet();
    /**
     * handler_init and unloads (handler_shutdown) run here, off the threads of loads, swaps, unloads
     * and calls: either may be slow, and only the caller of a load waits for init, within its timeout.
     */
    private final ExecutorService lifecycle = Executors.newCachedThreadPool(DaemonThreads.named("handler-lifecycle"));
    private final Map<HandlerVersion, CompletableFuture<Void>> unloads = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, EndpointOrder> endpointLocks = new ConcurrentHashMap<>();
    private volatile int maxConcurrentCalls;
    private volatile Isolation defaultIsolation;
    private volatile Map<String, Isolation> isolationByEndpoint;
    private volatile ProcessIsolation processIsolation;
    private volatile int maxWaitingCalls;
    private final AtomicLong generations = new AtomicLong();
    private final Activity activity = new Activity();
    private final VersionHistory history;
    private final boolean ownsHistory;
    /** Before "rollback to #n: ..." in the history's origin of a rollback the guard made. */
    static final String GUARD_ROLLBACK = "guard ";
    private final Guard guard = new Guard(new GuardActions());
    private final ScheduledExecutorService guardTimer;
    /** Run once a rollback or promotion the guard made took effect (e.g. to hold back what stands by). */
    private volatile java.util.function.Consumer<String> rollbackHook = id -> { };
    private volatile Runnable guardTick = () -> { };
    private volatile boolean closed;

    /** How many versions of each endpoint the history keeps unless configured otherwise. */
    public static final int DEFAULT_HISTORY_SIZE = 5;

    /** Calls one loaded version may have inside at once unless configured otherwise. */
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 256;

    /** A registry for the libraries in {@code handlersDirectory}, with default settings. */
    public static NativeHandlerRegistry create(Path handlersDirectory) {
        return builder(handlersDirectory).build();
    }

    /** A builder for a registry for the libraries in {@code handlersDirectory}. */
    public static Builder builder(Path handlersDirectory) {
        return new Builder(handlersDirectory);
    }

    private NativeHandlerRegistry(Builder settings) {
        this.handlersDirectory = settings.handlersDirectory.toAbsolutePath();
        this.closeTimeout = settings.closeTimeout;
        this.initTimeout = settings.initTimeout;
        this.maxConcurrentCalls = settings.maxConcurrentCalls;
        this.maxWaitingCalls = settings.maxWaitingCalls;
        this.defaultIsolation = settings.defaultIsolation;
        this.isolationByEndpoint = Map.copyOf(settings.isolationByEndpoint);
        this.processIsolation = settings.processIsolation;
        this.ownsCopyDirectory = settings.copyDirectory == null;
        try {
            this.copyDirectory = CopyDirectory.prepare(
                    ownsCopyDirectory ? Files.createTempDirectory("handler-registry-") : settings.copyDirectory,
                    "the registry's copy directory (copyDirectory in the builder, copy.directory in the"
                            + " configuration io.handlerregistry.registry)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory for private library copies in "
                    + System.getProperty("java.io.tmpdir") + ": " + e + "; set copyDirectory", e);
        }
        this.ownsHistory = settings.historyDirectory == null;
        try {
            this.history = new VersionHistory(ownsHistory ? Files.createTempDirectory("handler-registry-history-")
                    : settings.historyDirectory, settings.historySize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the version history in "
                    + System.getProperty("java.io.tmpdir") + ": " + e + "; set historyDirectory", e);
        }
        LOG.log(Level.DEBUG, "native calls go through {0}", ForeignCalls.description());
        this.ownsCallExecutor = settings.callExecutor == null;
        this.callExecutor = ownsCallExecutor
                ? Executors.newCachedThreadPool(DaemonThreads.named("handler-call")) : settings.callExecutor;
        if (settings.cleanupInterval.isZero()) {
            this.cleanup = null;
        } else {
            long period = settings.cleanupInterval.toNanos();
            this.cleanup = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("handler-registry-cleanup"));
            cleanup.scheduleWithFixedDelay(this::cleanupQuietly, period, period, TimeUnit.NANOSECONDS);
        }
        guard.configure(settings.guard, settings.guardByEndpoint);
        long every = settings.guardInterval.toNanos();
        this.guardTimer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("handler-registry-guard"));
        guardTimer.scheduleWithFixedDelay(this::guardQuietly, every, every, TimeUnit.NANOSECONDS);
    }

    private void guardQuietly() {
        try {
            guard.check(active);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the guard's check failed; it looks again in a moment", e);
        }
        try {
            guardTick.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "a task on the guard's timer failed; it runs again in a moment", e);
        }
    }

    /**
     * Runs {@code task} on the guard's timer, after each of its looks (about once a second): e.g. to make a
     * configured split once its endpoint is loaded. It must be short; it replaces the one before.
     */
    public void onGuardTick(Runnable task) {
        this.guardTick = Objects.requireNonNull(task, "task");
    }

    @Override
    public Path handlersDirectory() {
        return handlersDirectory;
    }

    @Override
    public LoadedHandler load(String endpointId) {
        return loadFrom(endpointId, handlersDirectory.resolve(HandlerRegistry.libraryFileName(endpointId)));
    }

    @Override
    public LoadedHandler loadFrom(String endpointId, Path library) {
        return loadFrom(endpointId, library, isolationOf(endpointId));
    }

    @Override
    public LoadedHandler loadFrom(String endpointId, Path library, Isolation isolation) {
        return activity.count("load", () -> loadNew(endpointId, library, isolation));
    }

    private LoadedHandler loadNew(String endpointId, Path library, Isolation isolation) {
        HandlerRegistry.checkEndpointId(endpointId);
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(isolation, "isolation");
        EndpointOrder order = lockFor(endpointId);
        long ticket;
        synchronized (order) {
            ensureOpen();
            checkNotLoaded(endpointId, library);
            ticket = order.ask();
        }
        // opened without the endpoint's lock: a slow handler_init delays no swap, unload or close
        HandlerVersion loaded = open(endpointId, library, isolation, apiProvenance(library, isolation), null);
        synchronized (order) {
            if (closed || order.isSuperseded(ticket) || active.containsKey(endpointId)) {
                discard(loaded);
                ensureOpen();
                checkNotSuperseded(order, ticket, endpointId, library, "load of");
                checkNotLoaded(endpointId, library);
            }
            order.applied(ticket, "a load of " + library);
            loaded.tookEffectNanos = System.nanoTime();
            active.put(endpointId, loaded);
            activity.changed();
            history.served(endpointId, loaded.provenance());
        }
        LOG.log(Level.INFO, "endpoint ''{0}'' loaded from {1} ({2})", endpointId, library, isolation);
        return loaded;
    }

    /**
     * Refuses a load or swap that a later one took effect before; its version was discarded. Call
     * while holding the endpoint's order.
     */
    private void checkNotSuperseded(EndpointOrder order, long ticket, String endpointId, Path library, String what) {
        if (order.isSuperseded(ticket)) {
            HandlerVersion serving = active.get(endpointId);
            String subject = library != null ? library.toString() : "the handler object";
            throw new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.SUPERSEDED,
                    "endpoint '" + endpointId + "': the " + what + " " + subject + " did not take effect: "
                            + order.appliedWhat() + ", asked for after it, took effect first while its library"
                            + " was loading; it is discarded, and the endpoint "
                            + (serving == null ? "is not loaded" : "is served by " + serving.source())
                            + ". Ask again if it is still wanted");
        }
    }

    private void checkNotLoaded(String endpointId, Path library) {
        HandlerVersion current = active.get(endpointId);
        if (current != null) {
            throw new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.ALREADY_LOADED,
                    "endpoint '" + endpointId + "' is already served by " + current.source()
                            + ": use swap or swapGraceful to replace it with " + library);
        }
    }

    @Override
    public boolean unload(String endpointId) {
        return unload(endpointId, "unloaded", false);
    }

    /**
     * Like {@link #unload(String)}, saying why for the endpoint's history.
     *
     * @param because        why, as the history shows it
     * @param stopping       true when the application stops (e.g. its framework): the version's entry goes
     *                       on when the same library serves again after the next start, as one that served
     *                       when the registry closed
     */
    public boolean unload(String endpointId, String because, boolean stopping) {
        HandlerRegistry.checkEndpointId(endpointId);
        HandlerVersion removed;
        EndpointOrder order = lockFor(endpointId);
        synchronized (order) {
            order.applied(order.ask(), "an unload");
            removed = active.remove(endpointId);
            if (removed != null) {
                activity.changed();
                history.ended(endpointId, because, stopping);
            }
        }
        activity.swap("unload", removed == null ? "refused" : "ok");
        if (removed == null) {
            return false;
        }
        retireCanaryOf(removed, "the endpoint was unloaded");
        retire(removed);
        long inside = removed.activeRequests();
        LOG.log(Level.INFO, "endpoint ''{0}'' unloaded ({1})", endpointId, removed.isDrained() ? "it was idle"
                : CallCount.of(inside) + " still inside; its library goes when "
                        + (inside == 1 ? "it returns" : "they return"));
        return true;
    }

    @Override
    public boolean isLoaded(String endpointId) {
        return endpointId != null && active.containsKey(endpointId);
    }

    @Override
    public Set<String> endpoints() {
        return new TreeSet<>(active.keySet());
    }

    @Override
    public Optional<LoadedHandler> handler(String endpointId) {
        return endpointId == null ? Optional.empty() : Optional.ofNullable(active.get(endpointId));
    }

    @Override
    public List<LoadedHandler> handlers() {
        List<LoadedHandler> all = new ArrayList<>();
        for (HandlerVersion primary : active.values()) {
            all.add(primary);
            Canary split = primary.split;
            if (split != null) {
                all.add(split.version()); // after its primary: the sort below is stable
            }
        }
        all.sort(Comparator.comparing(LoadedHandler::endpointId));
        List<LoadedHandler> old = new ArrayList<>(draining);
        old.sort(Comparator.comparingLong(LoadedHandler::generation));
        all.addAll(old);
        List<LoadedHandler> kept = new ArrayList<>(pinned);
        kept.sort(Comparator.comparingLong(LoadedHandler::generation));
        all.addAll(kept);
        return all;
    }

    @Override
    public HandlerResponse execute(String endpointId, RequestContext context, HandlerRequest request) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(request, "request");
        return execute(endpointId, context, request, (AtomicReference<HandlerVersion>) null);
    }

    /**
     * A call: to the endpoint's active version, or to its canary for the canary's share of the calls.
     *
     * @param chosen where to note the version the call went to (for a caller that may stop waiting); may be null
     */
    private HandlerResponse execute(String endpointId, RequestContext context, HandlerRequest request,
            AtomicReference<HandlerVersion> chosen) {
        for (;;) {
            HandlerVersion primary = endpointId == null ? null : active.get(endpointId);
            if (primary == null) {
                throw notFound(endpointId);
            }
            HandlerVersion handler = primary.route();
            if (chosen != null) {
                chosen.set(handler);
            }
            HandlerResponse response = handler.callIfActive(context, request);
            if (response != null) {
                return response;
            }
            // That version started draining after we read it: the map (or the primary's split) already holds
            // its successor.
        }
    }

    @Override
    public <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            ResponseReader<T> reader) {
        return execute(endpointId, context, request, null, reader);
    }

    @Override
    @SuppressWarnings("unchecked") // readIfActive returns what the reader returned
    public <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            Consumer<? super LoadedHandler> taken, ResponseReader<T> reader) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(reader, "reader");
        for (;;) {
            HandlerVersion primary = endpointId == null ? null : active.get(endpointId);
            if (primary == null) {
                throw notFound(endpointId);
            }
            Object result = primary.route().readIfActive(context, request, taken, reader);
            if (result != HandlerVersion.NOT_ACTIVE) {
                return (T) result;
            }
        }
    }

    @Override
    public HandlerResponse executeWithTimeout(String endpointId, RequestContext context, HandlerRequest request,
            Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long timeoutNanos = saturatedNanos(timeout);
        Instant now = Instant.now();
        Instant deadline = timeoutNanos > Duration.between(now, MAX_DEADLINE).toNanos() ? MAX_DEADLINE
                : now.plusNanos(timeoutNanos);
        RequestContext withTimeout = context.withDeadline(deadline);
        RequestContext bounded = context.deadlineUnixNanos() != 0
                && context.deadlineUnixNanos() < withTimeout.deadlineUnixNanos() ? context : withTimeout;
        // the call's thread and its caller race for this flag: a call that has not started when its
        // caller stops waiting never runs, and the exception says which of the two it was
        AtomicBoolean claimed = new AtomicBoolean();
        HandlerVersion primary = endpointId == null ? null : active.get(endpointId);
        // the version the call went to (a split's canary, or the primary), for the count of timeouts
        AtomicReference<HandlerVersion> chosen = new AtomicReference<>();
        CompletableFuture<HandlerResponse> call = submit(endpointId, () -> {
            if (!claimed.compareAndSet(false, true)) {
                throw new CancellationException("withdrawn: its caller stopped waiting before it started");
            }
            return execute(endpointId, bounded, request, chosen);
        });
        try {
            return call.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            boolean started = !claimed.compareAndSet(false, true);
            HandlerVersion target = chosen.get() != null ? chosen.get() : primary;
            if (target != null) {
                target.countTimeout();
            }
            HandlerVersion serving = active.get(endpointId);
            if (started && serving != null && serving.isolation() == Isolation.PROCESS) {
                throw new HandlerTimeoutException(endpointId, timeout, true, "handler for endpoint '" + endpointId
                        + "' did not answer within " + timeout.toMillis() + " ms. It runs in process isolation:"
                        + " if the call is still inside its worker process " + processIsolation.hangGrace().toMillis()
                        + " ms (the hang grace) after that, the worker is killed and restarted");
            }
            throw new HandlerTimeoutException(endpointId, timeout, started);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandlerException(endpointId, "interrupted while waiting for endpoint '" + endpointId + "'; "
                    + (claimed.compareAndSet(false, true) ? "the call was withdrawn before it started"
                            : "the call goes on in native code"), e);
        } catch (ExecutionException e) {
            throw Unchecked.of(e.getCause());
        }
    }

    @Override
    public CompletableFuture<HandlerResponse> executeAsync(String endpointId, RequestContext context,
            HandlerRequest request) {
        return submit(endpointId, () -> execute(endpointId, context, request));
    }

    /**
     * Runs a call on the call executor. With a bounded executor, the calls of one version hold at most
     * its share of the threads ({@link ExecutorShare}): a version whose calls hang leaves the others
     * threads to run on.
     */
    private CompletableFuture<HandlerResponse> submit(String endpointId, Supplier<HandlerResponse> call) {
        HandlerVersion version = endpointId == null ? null : active.get(endpointId);
        if (version == null) {
            RuntimeException failure;
            try {
                failure = notFound(endpointId);
            } catch (InvalidEndpointIdException e) {
                failure = e;
            }
            return CompletableFuture.failedFuture(failure);
        }
        CallLimit limit = version.limit();
        int share = ExecutorShare.of(callExecutor);
        if (share > 0 && !limit.takeExecutorThread(share)) {
            version.countOverloaded();
            return CompletableFuture.failedFuture(new HandlerOverloadedException(endpointId, share, "endpoint '"
                    + endpointId + "' refused the call without starting it: " + CallCount.of(share) + " of its"
                    + " version from " + version.source() + (share == 1 ? " holds or waits for a thread" : " hold or"
                    + " wait for threads") + " of the registry's call executor already, its share of the executor's "
                    + ExecutorShare.threads(callExecutor) + " threads (half, so that the other endpoints always"
                    + " find one). If calls are stuck in its handler (handler:info " + endpointId + " shows them as"
                    + " overdue), swap in a fixed version; if it is only busy, give the registry a larger executor"));
        }
        Supplier<HandlerResponse> counted = share == 0 ? call : () -> {
            try {
                return call.get();
            } finally {
                limit.giveBackExecutorThread();
            }
        };
        try {
            return CompletableFuture.supplyAsync(counted, callExecutor);
        } catch (RejectedExecutionException e) {
            if (share > 0) {
                limit.giveBackExecutorThread();
            }
            return CompletableFuture.failedFuture(new HandlerException(endpointId, "the call to endpoint '"
                    + endpointId + "' was not started: " + (closed ? "the registry is closed"
                            : "the call executor refused it (" + e.getMessage() + ")"), e));
        }
    }

    /** A timeout in nanoseconds, 0 for a negative one, the largest long for one beyond it. */
    private static long saturatedNanos(Duration timeout) {
        if (timeout.isNegative()) {
            return 0;
        }
        return timeout.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : timeout.toNanos();
    }

    @Override
    public SwapResult swap(String endpointId, Path library) {
        return swap(endpointId, library, isolationOf(endpointId));
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout) {
        return swapGraceful(endpointId, library, drainTimeout, isolationOf(endpointId));
    }

    @Override
    public SwapResult swap(String endpointId, Path library, Isolation isolation) {
        Objects.requireNonNull(isolation, "isolation");
        return swapped(activity.countReplace("swap", () -> replace(endpointId, library,
                () -> open(endpointId, library, isolation, apiProvenance(library, isolation), null))));
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout, Isolation isolation) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(isolation, "isolation");
        HandlerVersion old = activity.countReplace("graceful", () -> replace(endpointId, library,
                () -> open(endpointId, library, isolation, apiProvenance(library, isolation), null)));
        return drain(endpointId, old, drainTimeout);
    }

    private static Provenance apiProvenance(Path library, Isolation isolation) {
        return new Provenance(HistoryEntry.Source.API, Objects.requireNonNull(library, "library").toAbsolutePath()
                .toString(), "", null, null, isolation, 0);
    }

    @Override
    public List<HistoryEntry> history(String endpointId) {
        HandlerRegistry.checkEndpointId(endpointId);
        return history.entries(endpointId);
    }

    @Override
    public SwapResult rollback(String endpointId) {
        return rollback(endpointId, null);
    }

    @Override
    public SwapResult rollback(String endpointId, String version) {
        return rollback(endpointId, version, null, null);
    }

    @Override
    public SwapResult rollback(String endpointId, String version, Duration drainTimeout) {
        return rollback(endpointId, version, Objects.requireNonNull(drainTimeout, "drainTimeout"), null);
    }

    /**
     * Like {@link #rollback(String, String, Duration)}, running {@code inEffect} once the rollback took
     * effect, before waiting for the drain.
     *
     * @param drainTimeout how long to wait for the replaced version; null: not at all
     * @param inEffect     what to do once it took effect (e.g. hold back what stands by); may be null
     */
    public SwapResult rollback(String endpointId, String version, Duration drainTimeout, Runnable inEffect) {
        return rollback(endpointId, version, drainTimeout, inEffect, "manual");
    }

    /** A rollback, counted by its reason ({@code manual} or {@code guard}) once it took effect. */
    private SwapResult rollback(String endpointId, String version, Duration drainTimeout, Runnable inEffect,
            String reason) {
        return rollback(endpointId, version, drainTimeout, inEffect, reason, null);
    }

    private SwapResult rollback(String endpointId, String version, Duration drainTimeout, Runnable inEffect,
            String reason, HandlerVersion expected) {
        HandlerVersion old = activity.count("rollback", () -> rollingBack(endpointId, version, expected, reason));
        activity.rolledBack(reason);
        if (inEffect != null) {
            inEffect.run();
        }
        return drainTimeout == null ? swapped(old) : drain(endpointId, old, drainTimeout);
    }

    /** A swap to a new private copy of a kept library; returns the version it replaced. */
    private HandlerVersion rollingBack(String endpointId, String version) {
        return rollingBack(endpointId, version, null, "manual");
    }

    /** {@code reason}: {@code guard} marks the history entry ("guard rollback to #n: ..."). */
    private HandlerVersion rollingBack(String endpointId, String version, HandlerVersion expected, String reason) {
        HandlerRegistry.checkEndpointId(endpointId);
        ensureOpen();
        HistoryEntry target = history.target(endpointId, version);
        Path kept = history.keptLibrary(endpointId, target);
        String origin = firstOrigin(target);
        Provenance provenance = new Provenance(HistoryEntry.Source.API, (reason.equals("guard") ? GUARD_ROLLBACK
                : "") + "rollback to #" + target.number() + ": " + origin, target.version(), null, null,
                target.isolation(), target.number());
        HandlerVersion old = replace(endpointId, kept,
                () -> open(endpointId, kept, target.isolation(), provenance, target.sha256()), expected);
        LOG.log(Level.INFO, "endpoint ''{0}'' rolled back to {1} ({2}); it is pinned to it until a new version is"
                + " deployed, swapped in or loaded", endpointId, target.label(), origin);
        return old;
    }


    @Override
    public CanarySplit split(String endpointId, Path library, double percent) {
        Objects.requireNonNull(library, "library");
        int threshold = Canary.threshold(percent);
        return activity.count("split", () -> splitting(endpointId, threshold, library, null));
    }

    @Override
    public CanarySplit split(String endpointId, String keptVersion, double percent) {
        Objects.requireNonNull(keptVersion, "keptVersion");
        int threshold = Canary.threshold(percent);
        return activity.count("split", () -> splitting(endpointId, threshold, null, keptVersion));
    }

    @Override
    public Optional<CanarySplit> split(String endpointId) {
        HandlerVersion primary = endpointId == null ? null : active.get(endpointId);
        Canary split = primary == null ? null : primary.split;
        return split == null ? Optional.empty() : Optional.of(splitOf(endpointId, primary, split));
    }

    private static CanarySplit splitOf(String endpointId, HandlerVersion primary, Canary split) {
        return new CanarySplit(endpointId, primary, split.version(), split.percent(), split.since(), split.origin());
    }

    /** Starts or changes a split: a new canary from a file or a kept version, or a new percent for the same one. */
    private CanarySplit splitting(String endpointId, int threshold, Path file, String keptVersion) {
        HandlerRegistry.checkEndpointId(endpointId);
        ensureOpen();
        Path library;
        String sha;
        Provenance provenance;
        Isolation isolation;
        String origin;
        int keptNumber;
        if (file != null) {
            library = file.toAbsolutePath();
            isolation = isolationOf(endpointId);
            provenance = apiProvenance(library, isolation);
            sha = Files.isRegularFile(library) ? shaOrNull(library) : null; // else the load says what is wrong
            origin = library.toString();
            keptNumber = 0;
        } else {
            HistoryEntry target = history.target(endpointId, keptVersion);
            library = history.keptLibrary(endpointId, target);
            isolation = target.isolation();
            String was = firstOrigin(target);
            origin = target.label() + ": " + was;
            provenance = new Provenance(HistoryEntry.Source.API, "split to #" + target.number() + ": " + was,
                    target.version(), null, null, isolation, target.number());
            sha = target.sha256();
            keptNumber = target.number();
        }
        EndpointOrder order = lockFor(endpointId);
        long ticket;
        synchronized (order) {
            ensureOpen();
            HandlerVersion primary = active.get(endpointId);
            if (primary == null) {
                throw notLoaded(endpointId, library);
            }
            String primarySha = primary.provenance() == null ? null : primary.provenance().sha256();
            if (sha != null && sha.equals(primarySha)) {
                throw new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.ALREADY_LOADED,
                        "endpoint '" + endpointId + "' is served by " + primary.source() + ", which has the same"
                                + " library as " + origin + " (SHA-256 " + sha.substring(0, 12) + "...): a canary"
                                + " must differ from the version it is tried against");
            }
            Canary current = primary.split;
            if (current != null && sha != null && sha.equals(current.sha256())) {
                // the same canary: only its share changes (no load, nothing drains)
                Canary changed = current.withThreshold(threshold);
                primary.split = changed;
                LOG.log(Level.INFO, "endpoint ''{0}'': the canary {1} gets {2} % of the new calls now (was {3} %)",
                        endpointId, current.version().source(), CanarySplit.format(changed.percent()),
                        CanarySplit.format(current.percent()));
                return splitOf(endpointId, primary, changed);
            }
            ticket = order.ask();
            order.splitLoading(ticket);
        }
        // loaded without the endpoint's lock, as for a swap
        HandlerVersion next;
        try {
            next = open(endpointId, library, isolation, provenance, keptNumber == 0 ? null : sha);
        } catch (RuntimeException e) {
            synchronized (order) {
                order.splitDone(ticket);
            }
            throw e;
        }
        HandlerVersion primary;
        Canary replaced;
        Canary split;
        synchronized (order) {
            order.splitDone(ticket);
            primary = active.get(endpointId);
            if (closed || order.isSuperseded(ticket) || primary == null) {
                discard(next);
                ensureOpen();
                checkNotSuperseded(order, ticket, endpointId, library, "canary split to");
                throw notLoaded(endpointId, library);
            }
            order.applied(ticket, "a canary split to " + next.source());
            replaced = primary.split;
            split = new Canary(next, threshold, Instant.now(), System.nanoTime(), origin,
                    next.provenance().sha256(), keptNumber);
            next.canaryOf = primary;
            next.tookEffectNanos = split.sinceNanos();
            next.guarded = true;
            primary.split = split;
            activity.changed();
        }
        if (replaced != null) {
            replaced.version().canaryOf = null;
            retire(replaced.version());
        }
        LOG.log(Level.INFO, "endpoint ''{0}'' is split: {1} % of its new calls go to the canary {2}, the others to"
                + " {3}{4}; handler:split --promote {0} makes the canary its only version, handler:split --abort {0}"
                + " sends every call back", endpointId, CanarySplit.format(split.percent()), next.source(),
                primary.source(), replaced == null ? "" : " (the canary before, " + replaced.version().source()
                        + ", drains)");
        return splitOf(endpointId, primary, split);
    }

    /** Where an entry's library first came from: its origin without "rollback to #n: " or "split to #n: ". */
    private static String firstOrigin(HistoryEntry entry) {
        String o = entry.origin();
        o = o.startsWith(GUARD_ROLLBACK) ? o.substring(GUARD_ROLLBACK.length()) : o;
        return (o.startsWith("rollback to #") || o.startsWith("split to #")) && o.contains(": ")
                ? o.substring(o.indexOf(": ") + 2) : o;
    }

    private static String shaOrNull(Path file) {
        try {
            return Provenance.sha256(file);
        } catch (UncheckedIOException e) {
            return null;
        }
    }

    private static HandlerLoadException notLoaded(String endpointId, Path library) {
        return new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.NOT_LOADED, "endpoint '"
                + endpointId + "' is not loaded: a canary split needs a version serving it to share its calls with;"
                + " load or deploy it first (or load the canary itself)");
    }

    private HandlerLoadException noSplit(String endpointId, String what) {
        return new HandlerLoadException(endpointId, null, HandlerLoadException.Reason.NO_SPLIT, "endpoint '"
                + endpointId + "' has no canary split to " + what + (active.containsKey(endpointId)
                        ? " (a swap, rollback or unload ends a split): start one with handler:split " + endpointId
                                + " <library-or-kept-version> <percent>"
                        : ": it is not loaded"));
    }

    @Override
    public SwapResult promote(String endpointId) {
        return promote(endpointId, null, null);
    }

    @Override
    public SwapResult promote(String endpointId, Duration drainTimeout) {
        return promote(endpointId, Objects.requireNonNull(drainTimeout, "drainTimeout"), null);
    }

    /**
     * Like {@link #promote(String, Duration)}, running {@code inEffect} once the promotion took effect.
     *
     * @param drainTimeout how long to wait for the primary; null: not at all
     */
    public SwapResult promote(String endpointId, Duration drainTimeout, Runnable inEffect) {
        HandlerVersion old = activity.count("promote", () -> promoting(endpointId, null));
        if (inEffect != null) {
            inEffect.run();
        }
        return drainTimeout == null ? swapped(old) : drain(endpointId, old, drainTimeout);
    }

    /** Makes the canary the endpoint's only version; returns the primary, which drains. */
    private HandlerVersion promoting(String endpointId, HandlerVersion expected) {
        HandlerRegistry.checkEndpointId(endpointId);
        EndpointOrder order = lockFor(endpointId);
        HandlerVersion primary;
        Canary split;
        synchronized (order) {
            ensureOpen();
            primary = active.get(endpointId);
            split = primary == null ? null : primary.split;
            if (split == null || (expected != null && split.version() != expected)) {
                throw noSplit(endpointId, "promote");
            }
            HandlerVersion canary = split.version();
            order.applied(order.ask(), "the promotion of the canary " + canary.source());
            primary.split = null;
            canary.canaryOf = null;
            canary.guarded = split.keptNumber() == 0;
            active.put(endpointId, canary);
            activity.changed();
            history.served(endpointId, canary.provenance());
        }
        retire(primary);
        LOG.log(Level.INFO, "endpoint ''{0}'': the canary, {1}, is promoted: it serves every call now; {2} {3}",
                endpointId, split.version().source(), primary.source(), primary.isUnloaded() ? "is unloaded"
                        : "drains with " + CallCount.of(primary.activeRequests()) + " inside");
        return primary;
    }

    @Override
    public SwapResult abort(String endpointId) {
        return swapped(activity.count("abort", () -> aborting(endpointId, null)));
    }

    /** Sends every call to the primary again; returns the canary, which drains. */
    private HandlerVersion aborting(String endpointId, HandlerVersion expected) {
        HandlerRegistry.checkEndpointId(endpointId);
        EndpointOrder order = lockFor(endpointId);
        HandlerVersion primary;
        Canary split;
        synchronized (order) {
            ensureOpen();
            primary = active.get(endpointId);
            split = primary == null ? null : primary.split;
            if (split == null && expected == null && primary != null && order.isSplitLoading()) {
                // asked for after the split, so it goes after it: the split, still loading, never takes effect
                order.applied(order.ask(), "the abort of a canary split whose canary was still loading");
                LOG.log(Level.INFO, "endpoint ''{0}'': the canary split asked for before is aborted while its canary"
                        + " still loads: it will not take effect, every call goes to {1}", endpointId, primary.source());
                return null;
            }
            if (split == null || (expected != null && split.version() != expected)) {
                throw noSplit(endpointId, "abort");
            }
            order.applied(order.ask(), "the abort of the canary " + split.version().source());
            primary.split = null;
            split.version().canaryOf = null;
            activity.changed();
        }
        retire(split.version());
        LOG.log(Level.INFO, "endpoint ''{0}'': the canary split is aborted, every call goes to {1} again; the canary,"
                + " {2}, {3}", endpointId, primary.source(), split.version().source(), split.version().isUnloaded()
                        ? "is unloaded" : "drains with " + CallCount.of(split.version().activeRequests()) + " inside");
        return split.version();
    }

    /** Ends the split of a primary that left the map: its canary drains with it. */
    private void retireCanaryOf(HandlerVersion primary, String why) {
        Canary split = primary.split;
        if (split == null) {
            return;
        }
        primary.split = null;
        split.version().canaryOf = null;
        retire(split.version());
        LOG.log(Level.INFO, "endpoint ''{0}'': its canary split ends ({1}); the canary, {2}, drains too",
                primary.endpointId(), why, split.version().source());
    }

    /**
     * The guard's settings: {@code defaults} for every endpoint, {@code perEndpoint} for those named (see
     * {@link GuardSettings}). Applies at the guard's next look.
     */
    public void configureGuard(GuardSettings defaults, Map<String, GuardSettings> perEndpoint) {
        guard.configure(Objects.requireNonNull(defaults, "defaults"), perEndpoint);
    }

    /** How many looks the guard has taken so far. */
    long guardChecks() {
        return guard.checks();
    }

    /** The guard's settings for an endpoint. */
    public GuardSettings guardSettings(String endpointId) {
        return guard.settingsOf(endpointId);
    }

    /**
     * What to run once a rollback or a promotion of a kept canary that the guard made took effect, with the
     * endpoint's id (the OSGi wiring holds back the handler bundles standing by, as for a rollback asked for).
     */
    public void configureRollbackHook(java.util.function.Consumer<String> hook) {
        this.rollbackHook = Objects.requireNonNull(hook, "hook");
    }

    /** The guard's actions on this registry. */
    private final class GuardActions implements Guard.Actions {
        @Override
        public void rollBack(String endpointId, HandlerVersion failing, String why) {
            List<HistoryEntry> before = history.entries(endpointId);
            boolean known = !before.isEmpty() && before.get(0).serving();
            String label = known ? before.get(0).label() : "the version serving";
            String origin = known ? before.get(0).origin() : failing.source();
            rollback(endpointId, null, null, () -> rollbackHook.accept(endpointId), "guard", failing);
            HistoryEntry now = history.entries(endpointId).get(0);
            LOG.log(Level.WARNING, "endpoint ''{0}'': the guard rolled back {1} ({2}) by itself: {3}. It serves {4}"
                    + " now, a rollback to #{5}, and stays pinned to it until a new version is deployed, swapped in"
                    + " or loaded: fix that version and deploy it again (handler:history {0}, handler:info {0})",
                    endpointId, label, origin, why, now.label(), String.valueOf(now.rollbackOf()));
        }

        @Override
        public void abort(String endpointId, HandlerVersion failing, String why) {
            activity.count("abort", () -> aborting(endpointId, failing));
            activity.rolledBack("guard");
            LOG.log(Level.WARNING, "endpoint ''{0}'': the guard aborted its canary split by itself: the canary, {1},"
                    + " failed: {2}. Every call goes to {3} again: fix the canary and split again (handler:split {0}"
                    + " ...)", endpointId, failing.source(), why,
                    handler(endpointId).map(LoadedHandler::source).orElse("the primary"));
        }

        @Override
        public void promote(String endpointId, HandlerVersion healthy, String why) {
            HandlerVersion old = activity.count("promote", () -> promoting(endpointId, healthy));
            rollbackHook.accept(endpointId);
            LOG.log(Level.INFO, "endpoint ''{0}'': the guard promoted the canary, {1}, by itself: {2}; {3} drains",
                    endpointId, healthy.source(), why, old.source());
        }
    }

    /**
     * True while the version serving the endpoint is one a rollback made: a handler bundle that was there
     * already when it took effect ({@link #heldBack(String)}) does not take the endpoint over.
     */
    public boolean isPinned(String endpointId) {
        List<HistoryEntry> entries = endpointId == null ? List.of() : history.entries(endpointId);
        return !entries.isEmpty() && entries.get(0).serving() && entries.get(0).isRollback();
    }

    /** What the rollback serving the endpoint holds back (see {@link #holdBack(String, Set)}); kept across restarts. */
    public Set<String> heldBack(String endpointId) {
        return history.heldBack(endpointId);
    }

    /**
     * Records the providers (e.g. handler bundles, by an identity of their own making) that stood by for
     * the endpoint when the rollback serving it took effect; nothing if no rollback serves it. Written with
     * the history, so that after a restart the same providers still stand by.
     */
    public void holdBack(String endpointId, Set<String> providers) {
        history.holdBack(endpointId, providers);
    }

    /**
     * Serves again, for every endpoint of the history that a rollback pinned when the registry (on the
     * same history directory) last stopped, that rollback's version, unless something serves the endpoint
     * already. Call it right after building the registry, before anything else loads: a version that cannot
     * be loaded again is logged and skipped.
     *
     * @return the endpoints served again
     */
    public List<String> restorePinned() {
        List<String> restored = new ArrayList<>();
        for (String endpointId : history.endpointIds()) {
            for (HistoryEntry entry : history.pinnedAtStop(endpointId)) {
                if (active.containsKey(endpointId)) {
                    continue;
                }
                try {
                    Path kept = history.keptLibrary(endpointId, entry);
                    Provenance provenance = new Provenance(entry.source(), entry.origin(), entry.version(), null, null,
                            entry.isolation(), entry.rollbackOf());
                    replace(endpointId, kept,
                            () -> open(endpointId, kept, entry.isolation(), provenance, entry.sha256()));
                    restored.add(endpointId);
                    LOG.log(Level.INFO, "endpoint ''{0}'' is served by {1} again, the rollback it was pinned to when"
                            + " the registry stopped ({2})", endpointId, entry.label(), entry.origin());
                } catch (HandlerException e) {
                    LOG.log(Level.WARNING, "endpoint ''{0}'' was pinned to {1} by a rollback when the registry"
                            + " stopped, but it cannot serve again: {2}", endpointId, entry.label(), e.getMessage());
                }
            }
        }
        return restored;
    }

    /** Keeps at most {@code size} versions per endpoint from now on (at least 1: the one serving). */
    public void configureHistory(int size) {
        history.resize(size);
    }

    /** The directory the history and its kept libraries are in. */
    public Path historyDirectory() {
        return history.directory();
    }

    /**
     * Where the endpoint's libraries run when a load or swap does not say: its own setting if it has
     * one, else the registry's default.
     */
    public Isolation isolationOf(String endpointId) {
        HandlerRegistry.checkEndpointId(endpointId);
        return isolationByEndpoint.getOrDefault(endpointId, defaultIsolation);
    }

    /** Whether an isolation was configured for this endpoint in particular (it then beats a bundle's manifest). */
    public Optional<Isolation> configuredIsolation(String endpointId) {
        return endpointId == null ? Optional.empty() : Optional.ofNullable(isolationByEndpoint.get(endpointId));
    }

    /**
     * How this registry calls native code in-process: {@code java.lang.foreign} on JDK 22+, else JNA
     * (e.g. "java.lang.foreign (JDK 25)").
     */
    public static String callPath() {
        return ForeignCalls.description();
    }

    /** The settings of process isolation for the loads to come. */
    public ProcessIsolation processIsolation() {
        return processIsolation;
    }

    /**
     * Changes where the loads and swaps to come run, and the settings of process isolation; versions
     * loaded already keep theirs.
     */
    /** How long {@link #close()} waits for the calls inside, from now on (see {@link Builder#closeTimeout}). */
    public void configureCloseTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("close timeout must not be negative: " + timeout);
        }
        closeTimeout = timeout;
    }

    public void configureIsolation(Isolation defaultMode, Map<String, Isolation> perEndpoint, ProcessIsolation settings) {
        this.defaultIsolation = Objects.requireNonNull(defaultMode, "defaultMode");
        this.isolationByEndpoint = Map.copyOf(perEndpoint);
        this.processIsolation = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Immediate swap to a handler object, such as a {@link Handler} service: like
     * {@link #swap(String, Path)}, but nothing is loaded or unloaded. The old version drains as
     * usual; watch {@link LoadedHandler#whenDrained()} to release what it holds.
     *
     * @param source  where the handler comes from, for people ({@link LoadedHandler#source()})
     * @param version its version, e.g. its bundle's ({@link LoadedHandler#version()}); may be null
     */
    public SwapResult swap(String endpointId, Handler handler, String source, String version) {
        return swap(endpointId, handler, source, version, null);
    }

    /**
     * Like {@link #swap(String, Handler, String, String)}, saying where the handler comes from for the
     * endpoint's {@link #history(String) history} (with its library, which the history keeps so that a
     * rollback can go back to it); null: an {@link HistoryEntry.Source#API API} handler without a library.
     */
    public SwapResult swap(String endpointId, Handler handler, String source, String version, Provenance provenance) {
        return swapped(activity.countReplace("swap", () -> replace(endpointId, null,
                () -> wrap(endpointId, handler, source, version, provenance))));
    }

    /** Graceful swap to a handler object; see {@link #swap(String, Handler, String, String)}. */
    public SwapResult swapGraceful(String endpointId, Handler handler, String source, String version,
            Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        HandlerVersion old = activity.countReplace("graceful", () -> replace(endpointId, null,
                () -> wrap(endpointId, handler, source, version, null)));
        return drain(endpointId, old, drainTimeout);
    }

    private static SwapResult swapped(HandlerVersion old) {
        return old == null ? new SwapResult(false, 0, false)
                : new SwapResult(true, old.activeRequests(), !old.isUnloaded());
    }

    /** Waits up to the timeout for a replaced version to drain and be unloaded. */
    private SwapResult drain(String endpointId, HandlerVersion old, Duration drainTimeout) {
        if (old != null) {
            try {
                long wait = saturatedNanos(drainTimeout);
                long deadline = System.nanoTime() + wait;
                old.drained().get(wait, TimeUnit.NANOSECONDS);
                unloadIfDrained(old);
                // the caller asked to wait: for the unload too (handler_shutdown runs on a lifecycle thread)
                CompletableFuture<Void> unload = unloads.get(old);
                if (unload != null) {
                    unload.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
            } catch (TimeoutException e) {
                if (old.isDrained()) {
                    LOG.log(Level.WARNING, "endpoint ''{0}'': the handler_shutdown of the old version from {1} is"
                            + " still running after {2} ms; the library is unloaded when it returns",
                            endpointId, old.source(), drainTimeout.toMillis());
                } else {
                    LOG.log(Level.WARNING, "endpoint ''{0}'': old version from {1} still has {2} inside"
                            + " after {3} ms; it stays loaded until they return, then cleanup unloads it",
                            endpointId, old.source(), CallCount.of(old.activeRequests()), drainTimeout.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e); // never completed exceptionally
            }
        }
        return swapped(old);
    }

    @Override
    public RegistryStats stats() {
        long activeRequests = 0;
        for (HandlerVersion h : active.values()) {
            activeRequests += h.activeRequests();
            Canary split = h.split;
            if (split != null) {
                activeRequests += split.version().activeRequests();
            }
        }
        long drainingRequests = 0;
        int drainingCount = 0;
        for (HandlerVersion h : draining) {
            drainingRequests += h.activeRequests();
            drainingCount++;
        }
        long overdue = 0;
        if (activeRequests + drainingRequests > 0) {
            for (LoadedHandler h : handlers()) {
                overdue += h.overdueCalls();
            }
        }
        int failed = 0;
        for (HandlerVersion h : active.values()) {
            if (h.state() == HandlerState.FAILED) {
                failed++;
            }
        }
        return new RegistryStats(active.size(), drainingCount, activeRequests, drainingRequests, pinned.size(),
                overdue, failed);
    }

    @Override
    public RegistryActivity activity() {
        return activity.snapshot();
    }

    /**
     * Counts a version of the endpoint that was refused before it could reach the registry (a handler
     * bundle whose library could not be loaded: its bundle did not start), as the refusals of swaps
     * through the API are counted: a {@code swap} refused, or a {@code load} if nothing serves the
     * endpoint (what it would have been counted as had it loaded).
     */
    public void countRefused(String endpointId) {
        activity.swap(handler(endpointId).isPresent() ? "swap" : "load", "refused");
    }

    @Override
    public int cleanupDrained() {
        int removed = 0;
        for (HandlerVersion h : draining) {
            if (unloadIfDrained(h)) {
                removed++;
            }
        }
        // what is being unloaded is done when this returns (a hung handler_shutdown: up to the close timeout)
        await(CompletableFuture.allOf(unloads.values().toArray(CompletableFuture[]::new)),
                System.nanoTime() + saturatedNanos(closeTimeout));
        for (HandlerVersion h : pinned) {
            if (!h.checkPinned() && pinned.remove(h)) {
                LOG.log(Level.INFO, "endpoint ''{0}'': the library of {1} is no longer mapped (the threads that"
                        + " held it ended)", h.endpointId(), h.source());
            }
        }
        return removed;
    }

    /**
     * Stops taking calls and the cleanup task, lets every version drain, and unloads them.
     * Versions with calls still inside when this returns are unloaded when their last call
     * returns.
     */
    @Override
    public void close() {
        List<HandlerVersion> closing = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (cleanup != null) {
            cleanup.shutdownNow();
        }
        guardTimer.shutdownNow();
        // every endpoint ever locked, not just the loaded ones: a load that was under way when
        // `closed` was set finishes under its lock first, and is then taken out here
        for (String endpointId : List.copyOf(endpointLocks.keySet())) {
            synchronized (lockFor(endpointId)) {
                HandlerVersion removed = active.remove(endpointId);
                if (removed != null) {
                    activity.changed();
                    closing.add(removed);
                    Canary split = removed.split;
                    if (split != null) {
                        removed.split = null;
                        closing.add(split.version());
                    }
                }
            }
        }
        history.stopped();
        closing.forEach(this::retire);
        long deadline = System.nanoTime() + saturatedNanos(closeTimeout);
        List<HandlerVersion> all = new ArrayList<>(draining);
        await(CompletableFuture.allOf(all.stream().map(HandlerVersion::drained).toArray(CompletableFuture[]::new)),
                deadline);
        cleanupDrained();
        for (HandlerVersion h : draining) {
            if (!h.isDrained()) {
                String inside = CallCount.of(h.activeRequests());
                if (h.killWorkers("the registry closed with " + inside + " inside")) {
                    LOG.log(Level.WARNING, "registry closed with {0} still inside {1}: its worker"
                            + " processes are killed, those calls fail", inside, h);
                } else {
                    LOG.log(Level.WARNING, "registry closed with {0} still inside {1}; it is unloaded"
                            + " once drained", inside, h);
                }
                h.drained().thenRun(() -> unloadIfDrained(h));
            }
        }
        // the unloads started so far (handler_shutdown), within what is left of the timeout
        await(CompletableFuture.allOf(unloads.values().toArray(CompletableFuture[]::new)), deadline);
        if (ownsCallExecutor) {
            callExecutor.shutdown();
        }
        deleteCopyDirectoryWhenDone();
        if (ownsHistory) {
            history.deleteAll();
        }
    }

    /** Waits for a future until a deadline (System.nanoTime), quietly: close reports what is left. */
    private static void await(CompletableFuture<?> future, long deadline) {
        try {
            future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what did not finish is reported by the caller or goes on in the background
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** After close: deletes the copy directory the registry made, once no version is left in it. */
    private void deleteCopyDirectoryWhenDone() {
        if (ownsCopyDirectory && draining.isEmpty()) {
            try {
                WorkerProgram.deleteIn(copyDirectory);
                Files.deleteIfExists(copyDirectory);
            } catch (DirectoryNotEmptyException e) {
                LOG.log(Level.WARNING, "cannot delete " + copyDirectory + ": it still holds " + e.getFile());
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot delete " + copyDirectory + ": " + e);
            }
        }
    }

    /**
     * Makes a new version active and retires the old one, unless a load, swap or unload asked for
     * later took effect while the new version was being made.
     *
     * @param library the library file of the new version, null for a handler object (for messages)
     */
    private HandlerVersion replace(String endpointId, Path library, Supplier<HandlerVersion> newVersion) {
        return replace(endpointId, library, newVersion, null);
    }

    /**
     * Like {@link #replace(String, Path, Supplier)}; with {@code expected}, only if that version still serves
     * the endpoint when the new one is ready (else SUPERSEDED: something else replaced it meanwhile).
     */
    private HandlerVersion replace(String endpointId, Path library, Supplier<HandlerVersion> newVersion,
            HandlerVersion expected) {
        HandlerRegistry.checkEndpointId(endpointId);
        EndpointOrder order = lockFor(endpointId);
        long ticket;
        synchronized (order) {
            ensureOpen();
            ticket = order.ask();
        }
        // made without the endpoint's lock: a slow handler_init delays no other swap, unload or close
        HandlerVersion next = newVersion.get();
        HandlerVersion old;
        synchronized (order) {
            if (closed || order.isSuperseded(ticket) || (expected != null && active.get(endpointId) != expected)) {
                discard(next);
                ensureOpen();
                checkNotSuperseded(order, ticket, endpointId, library, "swap to");
                throw new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.SUPERSEDED, "endpoint '"
                        + endpointId + "': " + expected.source() + " no longer serves it (" + order.appliedWhat()
                        + " took effect meanwhile): nothing is rolled back");
            }
            order.applied(ticket, "a swap to " + next.source());
            next.tookEffectNanos = System.nanoTime();
            next.guarded = active.get(endpointId) != null
                    && (next.provenance() == null || next.provenance().rollbackOf() == 0);
            old = active.put(endpointId, next);
            activity.changed();
            history.served(endpointId, next.provenance());
        }
        if (old != null) {
            retireCanaryOf(old, "the endpoint was swapped to " + next.source());
            retire(old);
            LOG.log(Level.INFO, "endpoint ''{0}'' swapped to {1}; old version {2}", endpointId, next.source(),
                    old.isUnloaded() ? "unloaded" : "draining with " + CallCount.of(old.activeRequests()) + " inside");
        } else {
            LOG.log(Level.INFO, "endpoint ''{0}'' loaded from {1}", endpointId, next.source());
        }
        return old;
    }

    /** Moves a version that left the map to the draining set, and unloads it at once if idle. */
    private void retire(HandlerVersion handler) {
        draining.add(handler);
        handler.startDraining();
        long since = handler.drainingSinceNanos();
        if (since != 0) {
            handler.drained().thenRun(() -> activity.drained(System.nanoTime() - since));
        }
        unloadIfDrained(handler);
    }

    /** A version made but never made active (the registry closed meanwhile, or a load lost a race). */
    private void discard(HandlerVersion handler) {
        handler.startDraining();
        draining.add(handler);
        unloadIfDrained(handler);
    }

    /**
     * Starts unloading a drained version that nobody unloads yet, on a lifecycle thread: its
     * handler_shutdown runs there, never on the thread of a swap, an unload or a call.
     *
     * @return true if this call started it
     */
    private boolean unloadIfDrained(HandlerVersion handler) {
        if (!handler.claimUnload()) {
            return false;
        }
        CompletableFuture<Void> unload = new CompletableFuture<>();
        unloads.put(handler, unload);
        try {
            lifecycle.execute(() -> finishUnload(handler));
        } catch (RejectedExecutionException e) {
            finishUnload(handler);
        }
        return true;
    }

    private void finishUnload(HandlerVersion handler) {
        try {
            handler.closeResources();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "unloading " + handler + " failed; it is forgotten, its copy may remain", e);
        }
        draining.remove(handler);
        CompletableFuture<Void> unload = unloads.remove(handler);
        if (unload != null) {
            unload.complete(null); // a graceful swap waiting for it returns: the check below is for the report
        }
        if (handler.notePinnedAtUnload()) {
            pinned.add(handler); // shown as PINNED until the loader lets go of it
        }
        if (closed) {
            deleteCopyDirectoryWhenDone(); // the last one to go takes the directory with it
        }
    }

    private HandlerVersion wrap(String endpointId, Handler handler, String source, String version,
            Provenance provenance) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(handler, "handler");
        Provenance p = provenance != null ? provenance : new Provenance(HistoryEntry.Source.API, source, version,
                null, null, handler instanceof IsolationInfo ? ((IsolationInfo) handler).isolation()
                        : Isolation.IN_PROCESS, 0);
        return HandlerVersion.ofHandler(endpointId, generations.incrementAndGet(), source, version, handler,
                newLimit(), p);
    }

    /**
     * Loads a new version from a private copy of {@code library}.
     *
     * @param provenance for the history: the library and its SHA-256 are added here
     * @param expectedSha for a kept library (a rollback): the SHA-256 it must still have, else null
     */
    private HandlerVersion open(String endpointId, Path library, Isolation isolation, Provenance provenance,
            String expectedSha) {
        long generation = generations.incrementAndGet();
        Path source = Objects.requireNonNull(library, "library").toAbsolutePath();
        LibraryCopy copy = LibraryCopy.of(endpointId, source, copyDirectory, generation);
        String sha;
        try {
            sha = Provenance.sha256(copy.path());
        } catch (UncheckedIOException e) {
            copy.delete();
            throw new HandlerLoadException(endpointId, source, HandlerLoadException.Reason.LOAD_FAILED, "endpoint '"
                    + endpointId + "': cannot read the private copy " + copy.path() + " of " + source + ": "
                    + e.getCause(), e);
        }
        if (expectedSha != null && !expectedSha.equals(sha)) {
            copy.delete();
            throw new HandlerLoadException(endpointId, source, HandlerLoadException.Reason.FILE_CHANGED, "endpoint '"
                    + endpointId + "': the kept library " + source + " was changed on disk (its SHA-256 is no longer "
                    + expectedSha.substring(0, 12) + "...): roll back to another version, or deploy it again");
        }
        Provenance p = provenance.withLibrary(copy.path(), sha);
        String name = p.source() == HistoryEntry.Source.API && p.rollbackOf() == 0 ? source.toString() : p.origin();
        // handler_init is told the file it is loaded from (for a rollback: the kept library)
        if (isolation == Isolation.PROCESS) {
            IsolatedHandler handler = IsolatedHandler.start(endpointId, source, source.toString(), copy, copyDirectory,
                    processIsolation, initTimeout, lifecycle);
            return HandlerVersion.ofIsolated(endpointId, generation, name, handler, copy.path(), newLimit(), p);
        }
        return HandlerVersion.ofLibrary(endpointId, generation, name,
                NativeHandler.open(endpointId, source, source.toString(), copy, initTimeout, lifecycle), newLimit(), p);
    }

    private CallLimit newLimit() {
        return new CallLimit(maxConcurrentCalls, maxWaitingCalls);
    }

    /**
     * Changes the limits of concurrent calls in place, for every loaded version: a new limit counts
     * the calls that start after the change (those inside keep their places), and calls waiting for
     * a place get in if it lets them.
     *
     * @param maxConcurrent calls inside one version at once; 0 for no limit
     * @param maxWaiting    calls (with a deadline) that may wait for a place, per version
     */
    public void configureLimits(int maxConcurrent, int maxWaiting) {
        checkLimits(maxConcurrent, maxWaiting);
        maxConcurrentCalls = maxConcurrent;
        maxWaitingCalls = maxWaiting;
        for (LoadedHandler h : handlers()) {
            ((HandlerVersion) h).limit().configure(maxConcurrent, maxWaiting);
        }
    }

    private static void checkLimits(int maxConcurrent, int maxWaiting) {
        if (maxConcurrent < 0 || maxWaiting < 0) {
            throw new IllegalArgumentException("call limits must not be negative: max concurrent calls "
                    + maxConcurrent + ", max waiting calls " + maxWaiting);
        }
    }

    private RuntimeException notFound(String endpointId) {
        HandlerRegistry.checkEndpointId(endpointId);
        if (closed) {
            return new IllegalStateException("the handler registry is closed; endpoint '" + endpointId
                    + "' cannot be called");
        }
        activity.notFound();
        return new EndpointNotFoundException(endpointId);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the handler registry is closed: create a new one");
        }
    }

    private EndpointOrder lockFor(String endpointId) {
        return endpointLocks.computeIfAbsent(endpointId, id -> new EndpointOrder());
    }

    private void cleanupQuietly() {
        try {
            cleanupDrained();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cleanup of drained handlers failed", e);
        }
    }

    /** Settings of a {@link NativeHandlerRegistry}. */
    public static final class Builder {
        private final Path handlersDirectory;
        private Path copyDirectory;
        private Duration cleanupInterval = Duration.ofSeconds(1);
        private Duration closeTimeout = Duration.ofSeconds(30);
        private Duration initTimeout = Duration.ofSeconds(NativeHandler.DEFAULT_INIT_TIMEOUT_SECONDS);
        private ExecutorService callExecutor;
        private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
        private int maxWaitingCalls;
        private Isolation defaultIsolation = Isolation.IN_PROCESS;
        private final Map<String, Isolation> isolationByEndpoint = new java.util.HashMap<>();
        private ProcessIsolation processIsolation = ProcessIsolation.DEFAULTS;
        private Path historyDirectory;
        private int historySize = DEFAULT_HISTORY_SIZE;
        private GuardSettings guard = GuardSettings.DEFAULTS;
        private final Map<String, GuardSettings> guardByEndpoint = new java.util.HashMap<>();
        private Duration guardInterval = Guard.DEFAULT_INTERVAL;

        private Builder(Path handlersDirectory) {
            this.handlersDirectory = Objects.requireNonNull(handlersDirectory, "handlersDirectory");
        }

        /**
         * Where the private copies of loaded libraries go. Default: a new temporary directory,
         * deleted on close.
         */
        public Builder copyDirectory(Path directory) {
            this.copyDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** How often the background task unloads drained versions; zero disables it. Default 1 s. */
        public Builder cleanupInterval(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("cleanup interval must not be negative: " + interval);
            }
            this.cleanupInterval = interval;
            return this;
        }

        /** How long {@link NativeHandlerRegistry#close()} waits for in-flight calls. Default 30 s. */
        public Builder closeTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("close timeout must not be negative: " + timeout);
            }
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * How long a library's {@code handler_init} may take. Past it the load (or swap) is refused
         * with {@code INIT_TIMEOUT} and the version that was serving keeps serving; the library is
         * unloaded when its init returns after all. Default 30 s.
         */
        public Builder initTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("init timeout must be positive: " + timeout);
            }
            this.initTimeout = timeout;
            return this;
        }

        /**
         * The executor for {@code executeAsync} and {@code executeWithTimeout}; the caller keeps
         * ownership. Default: a cached pool of daemon threads, shut down on close. A bounded one (a
         * {@link java.util.concurrent.ThreadPoolExecutor} or {@link java.util.concurrent.ForkJoinPool})
         * is shared fairly: the calls of one version hold or wait for at most half of its threads (at
         * least one), and are refused at once beyond that with
         * {@link io.handlerregistry.api.HandlerOverloadedException}, so that a version whose calls hang
         * never takes every thread the other endpoints need.
         */
        public Builder callExecutor(ExecutorService executor) {
            this.callExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * How many calls may be inside one loaded version at once, and how many more may wait for a
         * place (a version swapped in has places of its own). A call over the limit waits, if it has
         * a deadline and there is room to wait, until a place frees or its deadline passes; else it is
         * refused at once with {@link io.handlerregistry.api.HandlerOverloadedException}. Calls stuck in
         * a handler hold their places, so a hung version holds at most {@code maxConcurrent} threads. Default:
         * {@value #DEFAULT_MAX_CONCURRENT_CALLS} concurrent, none waiting; 0 concurrent for no limit.
         */
        public Builder callLimits(int maxConcurrent, int maxWaiting) {
            checkLimits(maxConcurrent, maxWaiting);
            this.maxConcurrentCalls = maxConcurrent;
            this.maxWaitingCalls = maxWaiting;
            return this;
        }

        /**
         * Where libraries run when a load or swap does not say (default {@link Isolation#IN_PROCESS}).
         */
        public Builder isolation(Isolation isolation) {
            this.defaultIsolation = Objects.requireNonNull(isolation, "isolation");
            return this;
        }

        /** Where one endpoint's libraries run when a load or swap does not say. */
        public Builder isolation(String endpointId, Isolation isolation) {
            HandlerRegistry.checkEndpointId(endpointId);
            isolationByEndpoint.put(endpointId, Objects.requireNonNull(isolation, "isolation"));
            return this;
        }

        /** The settings of process isolation (default {@link ProcessIsolation#DEFAULTS}). */
        public Builder processIsolation(ProcessIsolation settings) {
            this.processIsolation = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Where the version history and the libraries of the versions it keeps are written; a registry
         * built again on the same directory finds them (and {@link NativeHandlerRegistry#restorePinned()}
         * serves the rollbacks it was pinned to). Default: a new temporary directory, deleted on close.
         */
        public Builder historyDirectory(Path directory) {
            this.historyDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * How many versions of each endpoint the history keeps, the one serving included (at least 1).
         * Default {@value NativeHandlerRegistry#DEFAULT_HISTORY_SIZE}.
         */
        public Builder historySize(int size) {
            this.historySize = VersionHistory.checkSize(size);
            return this;
        }

        /**
         * The guard's settings for every endpoint (default {@link GuardSettings#DEFAULTS}: off); see
         * {@link NativeHandlerRegistry#configureGuard}.
         */
        public Builder guard(GuardSettings settings) {
            this.guard = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** The guard's settings for one endpoint. */
        public Builder guard(String endpointId, GuardSettings settings) {
            HandlerRegistry.checkEndpointId(endpointId);
            guardByEndpoint.put(endpointId, Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /** How often the guard looks at the versions it watches. Default 1 s. */
        public Builder guardInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("guard interval must be positive: " + interval);
            }
            this.guardInterval = interval;
            return this;
        }

        public NativeHandlerRegistry build() {
            return new NativeHandlerRegistry(this);
        }
    }
}
