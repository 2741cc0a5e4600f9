package io.handlerregistry.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.handlerregistry.core.EndpointNotFoundException;
import io.handlerregistry.core.Handler;
import io.handlerregistry.core.HandlerException;
import io.handlerregistry.core.HandlerLoadException;
import io.handlerregistry.core.HandlerRegistry;
import io.handlerregistry.core.HandlerRequest;
import io.handlerregistry.core.HandlerResponse;
import io.handlerregistry.core.HandlerTimeoutException;
import io.handlerregistry.core.InvalidEndpointIdException;
import io.handlerregistry.core.LoadedHandler;
import io.handlerregistry.core.RegistryStats;
import io.handlerregistry.core.RequestContext;
import io.handlerregistry.core.SwapResult;

/**
 * The {@link HandlerRegistry}: an immutable-per-version map of active handlers swapped
 * atomically, plus the set of draining versions waiting for their last call.
 *
 * <p>Request path: read the active version from the map, take a request slot (fails only once
 * that version is draining, by which time the map already holds its successor), call, release.
 * No lock. Loads and swaps of one endpoint are serialized by a per-endpoint monitor, never held
 * by a request.
 */
public final class NativeHandlerRegistry implements HandlerRegistry {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final Path handlersDirectory;
    private final Path copyDirectory;
    private final boolean ownsCopyDirectory;
    private final Duration closeTimeout;
    private final ExecutorService callExecutor;
    private final boolean ownsCallExecutor;
    private final ScheduledExecutorService cleanup;

    private final ConcurrentHashMap<String, ManagedHandler> active = new ConcurrentHashMap<>();
    private final Set<ManagedHandler> draining = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> endpointLocks = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();
    private volatile boolean closed;

    public NativeHandlerRegistry(HandlerRegistry.Builder settings) {
        this.handlersDirectory = settings.handlersDirectory().toAbsolutePath();
        this.closeTimeout = settings.closeTimeout();
        this.ownsCopyDirectory = settings.copyDirectory().isEmpty();
        try {
            this.copyDirectory = ownsCopyDirectory ? Files.createTempDirectory("handler-registry-")
                    : Files.createDirectories(settings.copyDirectory().get());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory for private library copies", e);
        }
        this.ownsCallExecutor = settings.callExecutor().isEmpty();
        this.callExecutor = settings.callExecutor().orElseGet(
                () -> Executors.newCachedThreadPool(DaemonThreads.named("handler-call")));
        if (settings.cleanupInterval().isZero()) {
            this.cleanup = null;
        } else {
            long period = settings.cleanupInterval().toNanos();
            this.cleanup = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("handler-registry-cleanup"));
            cleanup.scheduleWithFixedDelay(this::cleanupQuietly, period, period, TimeUnit.NANOSECONDS);
        }
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
        HandlerRegistry.checkEndpointId(endpointId);
        Objects.requireNonNull(library, "library");
        synchronized (lockFor(endpointId)) {
            ensureOpen();
            ManagedHandler current = active.get(endpointId);
            if (current != null) {
                throw new HandlerLoadException(endpointId, library, HandlerLoadException.Reason.ALREADY_LOADED,
                        "endpoint '" + endpointId + "' is already served by " + current.source()
                                + ": use swap or swapGraceful to replace it with " + library);
            }
            ManagedHandler loaded = open(endpointId, library);
            active.put(endpointId, loaded);
            LOG.log(Level.INFO, "endpoint ''{0}'' loaded from {1}", endpointId, library);
            return loaded;
        }
    }

    @Override
    public boolean unload(String endpointId) {
        HandlerRegistry.checkEndpointId(endpointId);
        ManagedHandler removed;
        synchronized (lockFor(endpointId)) {
            removed = active.remove(endpointId);
        }
        if (removed == null) {
            return false;
        }
        retire(removed);
        LOG.log(Level.INFO, "endpoint ''{0}'' unloaded ({1})", endpointId, removed.isDrained()
                ? "it was idle" : removed.activeRequests() + " calls still inside, unloaded when they return");
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
        List<LoadedHandler> all = new ArrayList<>(active.values());
        all.sort(Comparator.comparing(LoadedHandler::endpointId));
        List<LoadedHandler> old = new ArrayList<>(draining);
        old.sort(Comparator.comparingLong(LoadedHandler::generation));
        all.addAll(old);
        return all;
    }

    @Override
    public HandlerResponse execute(String endpointId, RequestContext context, HandlerRequest request) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(request, "request");
        for (;;) {
            ManagedHandler handler = endpointId == null ? null : active.get(endpointId);
            if (handler == null) {
                throw notFound(endpointId);
            }
            HandlerResponse response = handler.callIfActive(context, request);
            if (response != null) {
                return response;
            }
            // That version started draining after we read it: the map already holds its successor.
        }
    }

    @Override
    public HandlerResponse executeWithTimeout(String endpointId, RequestContext context, HandlerRequest request,
            Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Instant deadline = Instant.now().plus(timeout);
        long deadlineNanos = deadline.getEpochSecond() * 1_000_000_000L + deadline.getNano();
        RequestContext bounded = context.deadlineUnixNanos() != 0 && context.deadlineUnixNanos() < deadlineNanos
                ? context : context.withDeadline(deadline);
        CompletableFuture<HandlerResponse> call = executeAsync(endpointId, bounded, request);
        try {
            return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HandlerTimeoutException(endpointId, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandlerException(endpointId, "interrupted while waiting for endpoint '" + endpointId
                    + "'; the call goes on in native code", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    @Override
    public CompletableFuture<HandlerResponse> executeAsync(String endpointId, RequestContext context,
            HandlerRequest request) {
        if (endpointId == null || !active.containsKey(endpointId)) {
            RuntimeException failure;
            try {
                failure = notFound(endpointId);
            } catch (InvalidEndpointIdException e) {
                failure = e;
            }
            return CompletableFuture.failedFuture(failure);
        }
        return CompletableFuture.supplyAsync(() -> execute(endpointId, context, request), callExecutor);
    }

    @Override
    public SwapResult swap(String endpointId, Path library) {
        return swapped(replace(endpointId, () -> open(endpointId, library)));
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        return drain(endpointId, replace(endpointId, () -> open(endpointId, library)), drainTimeout);
    }

    @Override
    public SwapResult swap(String endpointId, Handler handler, String source, String version) {
        return swapped(replace(endpointId, () -> wrap(endpointId, handler, source, version)));
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Handler handler, String source, String version,
            Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        return drain(endpointId, replace(endpointId, () -> wrap(endpointId, handler, source, version)),
                drainTimeout);
    }

    private static SwapResult swapped(ManagedHandler old) {
        return old == null ? new SwapResult(false, 0, false)
                : new SwapResult(true, old.activeRequests(), !old.isUnloaded());
    }

    /** Waits up to the timeout for a replaced version to drain, and unloads it if it did. */
    private SwapResult drain(String endpointId, ManagedHandler old, Duration drainTimeout) {
        if (old != null) {
            try {
                old.drained().get(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
                unloadIfDrained(old);
            } catch (TimeoutException e) {
                LOG.log(Level.WARNING, "endpoint ''{0}'': old version from {1} still has {2} calls inside after"
                        + " {3} ms; it stays loaded until they return, then cleanup unloads it",
                        endpointId, old.source(), old.activeRequests(), drainTimeout.toMillis());
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
        for (ManagedHandler h : active.values()) {
            activeRequests += h.activeRequests();
        }
        long drainingRequests = 0;
        int drainingCount = 0;
        for (ManagedHandler h : draining) {
            drainingRequests += h.activeRequests();
            drainingCount++;
        }
        return new RegistryStats(active.size(), drainingCount, activeRequests, drainingRequests);
    }

    @Override
    public int cleanupDrained() {
        int removed = 0;
        for (ManagedHandler h : draining) {
            if (unloadIfDrained(h)) {
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void close() {
        List<ManagedHandler> closing = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (cleanup != null) {
            cleanup.shutdownNow();
        }
        // every endpoint ever locked, not just the loaded ones: a load that was under way when
        // `closed` was set finishes under its lock first, and is then taken out here
        for (String endpointId : List.copyOf(endpointLocks.keySet())) {
            synchronized (lockFor(endpointId)) {
                ManagedHandler removed = active.remove(endpointId);
                if (removed != null) {
                    closing.add(removed);
                }
            }
        }
        closing.forEach(this::retire);
        List<ManagedHandler> all = new ArrayList<>(draining);
        try {
            CompletableFuture.allOf(all.stream().map(ManagedHandler::drained).toArray(CompletableFuture[]::new))
                    .get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // reported below, per version
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cleanupDrained();
        for (ManagedHandler h : draining) {
            LOG.log(Level.WARNING, "registry closed while {0} calls were still inside {1}; it is unloaded when"
                    + " they return", h.activeRequests(), h);
            h.drained().thenRun(() -> unloadIfDrained(h));
        }
        if (ownsCallExecutor) {
            callExecutor.shutdown();
        }
        if (ownsCopyDirectory && draining.isEmpty()) {
            try {
                Files.deleteIfExists(copyDirectory);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot delete " + copyDirectory + ": " + e);
            }
        }
    }

    /** Makes a new version active and retires the old one; the new one is made under the endpoint's lock. */
    private ManagedHandler replace(String endpointId, Supplier<ManagedHandler> newVersion) {
        HandlerRegistry.checkEndpointId(endpointId);
        ManagedHandler old;
        ManagedHandler next;
        synchronized (lockFor(endpointId)) {
            ensureOpen();
            next = newVersion.get();
            old = active.put(endpointId, next);
        }
        if (old != null) {
            retire(old);
            LOG.log(Level.INFO, "endpoint ''{0}'' swapped to {1}; old version {2}", endpointId, next.source(),
                    old.isUnloaded() ? "unloaded" : "draining with " + old.activeRequests() + " calls inside");
        } else {
            LOG.log(Level.INFO, "endpoint ''{0}'' loaded from {1}", endpointId, next.source());
        }
        return old;
    }

    /** Moves a version that left the map to the draining set, and unloads it at once if idle. */
    private void retire(ManagedHandler handler) {
        draining.add(handler);
        handler.startDraining();
        unloadIfDrained(handler);
    }

    private boolean unloadIfDrained(ManagedHandler handler) {
        try {
            if (!handler.unloadIfDrained()) {
                return false;
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "unloading " + handler + " failed; it is forgotten, its copy may remain", e);
        }
        draining.remove(handler);
        return true;
    }

    private ManagedHandler wrap(String endpointId, Handler handler, String source, String version) {
        return ManagedHandler.ofHandler(endpointId, generations.incrementAndGet(),
                Objects.requireNonNull(source, "source"), version, Objects.requireNonNull(handler, "handler"));
    }

    private ManagedHandler open(String endpointId, Path library) {
        long generation = generations.incrementAndGet();
        Path source = Objects.requireNonNull(library, "library").toAbsolutePath();
        LibraryCopy copy = LibraryCopy.of(endpointId, source, copyDirectory, generation);
        return ManagedHandler.ofLibrary(endpointId, generation, source,
                NativeHandler.open(endpointId, source, source.toString(), copy));
    }

    private RuntimeException notFound(String endpointId) {
        HandlerRegistry.checkEndpointId(endpointId);
        if (closed) {
            return new IllegalStateException("the handler registry is closed; endpoint '" + endpointId
                    + "' cannot be called");
        }
        return new EndpointNotFoundException(endpointId);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the handler registry is closed: create a new one");
        }
    }

    private Object lockFor(String endpointId) {
        return endpointLocks.computeIfAbsent(endpointId, id -> new Object());
    }

    private void cleanupQuietly() {
        try {
            cleanupDrained();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cleanup of drained handlers failed", e);
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException) {
            return (RuntimeException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new IllegalStateException(cause);
    }
}
