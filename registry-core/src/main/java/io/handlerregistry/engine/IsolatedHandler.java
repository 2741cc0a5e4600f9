package io.handlerregistry.engine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.WorkerStatus;
import io.handlerregistry.spi.Handler;

/**
 * One loaded version in process isolation: its library runs in worker processes
 * ({@link WorkerProcess}), each serving the calls of the threads that go to it. A worker that crashes
 * (a signal, or an exit) is started again at once, then with a growing pause; after
 * {@link ProcessIsolation#maxCrashes()} crashes within {@link ProcessIsolation#crashWindow()} the
 * version is failed and no longer restarted. A worker the registry killed for a hung call is
 * restarted at once, every time: those kills are counted apart and never fail the version (each one
 * waited for a call's deadline and the grace). Calls that arrive meanwhile wait for the restart until
 * their deadline.
 */
final class IsolatedHandler implements Handler, IsolationInfo, AutoCloseable {
    private static final Logger LOG = System.getLogger(IsolatedHandler.class.getName());
    private static final ScheduledExecutorService BACKOFF = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("handler-worker-restart"));
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final String endpointId;
    private final Path file;
    private final String source;
    private final LibraryCopy copy;
    private final Path program;
    private final Path channels;
    private final ProcessIsolation settings;
    private final Duration initTimeout;
    private final Executor threads;
    private final Seat[] seats;
    private final Deque<Instant> crashes = new ArrayDeque<>(); // guarded by itself
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicLong crashCount = new AtomicLong();
    private final AtomicLong hangKills = new AtomicLong();
    private volatile String lastCrash;
    private volatile Instant lastCrashAt;
    private volatile boolean failed;
    private volatile boolean closing;

    /** One worker place: the worker serving it, or the restart under way. */
    private static final class Seat {
        volatile CompletableFuture<WorkerProcess> serving;
    }

    private IsolatedHandler(String endpointId, Path file, String source, LibraryCopy copy, Path program,
            Path channels, ProcessIsolation settings, Duration initTimeout, Executor threads) {
        this.endpointId = endpointId;
        this.file = file;
        this.source = source;
        this.copy = copy;
        this.program = program;
        this.channels = channels;
        this.settings = settings;
        this.initTimeout = initTimeout;
        this.threads = threads;
        this.seats = new Seat[settings.workers()];
    }

    /**
     * Starts the workers of a version and waits until each is ready.
     *
     * @param programDirectory where the worker program is written (it must allow executing it)
     * @throws HandlerLoadException why not; the copy is deleted then
     */
    static IsolatedHandler start(String endpointId, Path file, String source, LibraryCopy copy,
            Path programDirectory, ProcessIsolation settings, Duration initTimeout, Executor threads) {
        IsolatedHandler handler;
        try {
            Path program = WorkerProgram.in(programDirectory, endpointId, file);
            handler = new IsolatedHandler(endpointId, file, source, copy, program, channelDirectory(programDirectory),
                    settings, initTimeout, threads);
        } catch (RuntimeException e) {
            copy.delete();
            throw e;
        }
        try {
            for (int i = 0; i < handler.seats.length; i++) {
                Seat seat = new Seat();
                WorkerProcess worker = handler.startWorker();
                seat.serving = CompletableFuture.completedFuture(worker);
                handler.seats[i] = seat;
                worker.listen(ended -> handler.ended(seat, ended));
            }
            return handler;
        } catch (RuntimeException e) {
            handler.close();
            throw e;
        }
    }

    /** Shared memory: /dev/shm where there is one (no disk write-back), else the copy directory. */
    private static Path channelDirectory(Path fallback) {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : fallback;
    }

    private WorkerProcess startWorker() {
        return WorkerProcess.start(endpointId, file, source, copy.path(), program, channels, settings, initTimeout,
                threads);
    }

    @Override
    public HandlerResponse handle(RequestContext context, HandlerRequest request) {
        Seat seat = seats[seats.length == 1 ? 0 : (int) (Thread.currentThread().getId() % seats.length)];
        long grace = settings.hangGrace().toNanos();
        for (;;) {
            WorkerProcess worker = worker(seat, context);
            HandlerResponse response = worker.call(context, request, grace);
            if (response != null) {
                return response;
            }
            // that worker ended before the call was handed to it: its successor takes it
        }
    }

    /** The seat's worker, waiting for its restart (until the call's deadline) if it is being restarted. */
    private WorkerProcess worker(Seat seat, RequestContext context) {
        for (;;) {
            if (closing) {
                throw closed();
            }
            CompletableFuture<WorkerProcess> serving = seat.serving;
            WorkerProcess worker = current(serving);
            if (worker != null && worker.isUsable()) {
                return worker;
            }
            // ended (its successor is on the way once its end was handled), or being restarted
            await(worker != null ? worker.exited() : serving, context);
            if (worker != null && seat.serving == serving) {
                throw worker.crashed(false); // its end was handled and no successor came: never spin here
            }
        }
    }

    private void await(CompletableFuture<?> future, RequestContext context) {
        long deadline = context.deadlineUnixNanos();
        long left = deadline == 0 ? Long.MAX_VALUE : deadline - OverdueCalls.nowUnixNanos();
        try {
            future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HandlerTimeoutException(endpointId, Duration.ofNanos(Math.max(0, left)), false, "endpoint '"
                    + endpointId + "' (" + source + "): its worker process was being restarted after a crash and"
                    + " was not ready before the call's deadline; the call was not started");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandlerException(endpointId, "endpoint '" + endpointId + "': interrupted while waiting for"
                    + " its worker process to restart; the call was not started", e);
        } catch (ExecutionException e) {
            throw Unchecked.of(e.getCause());
        }
    }

    /** The worker of a seat's future, or null while it is being restarted or after it failed. */
    private static WorkerProcess current(CompletableFuture<WorkerProcess> serving) {
        return serving.isDone() && !serving.isCompletedExceptionally() ? serving.join() : null;
    }

    /** A worker ended on its own or was killed: its successor is on the way before its calls learn of it. */
    private void ended(Seat seat, WorkerProcess worker) {
        if (closing) {
            return;
        }
        CompletableFuture<WorkerProcess> next = new CompletableFuture<>();
        seat.serving = next;
        if (worker.killedForHang()) {
            hungCallKilled(seat, next, worker);
        } else {
            crashed(seat, next, worker);
        }
    }

    /** Restarts a worker killed for a hung call at once; not a crash: it never fails the version. */
    private void hungCallKilled(Seat seat, CompletableFuture<WorkerProcess> next, WorkerProcess worker) {
        long kills = hangKills.incrementAndGet();
        lastCrash = "worker process " + worker.pid() + " " + worker.ending() + lastLine(worker.lastOutput());
        lastCrashAt = Instant.now();
        LOG.log(Level.WARNING, "endpoint ''{0}'': the worker process {1} of {2} {3}; the calls inside it failed, the"
                + " other endpoints are not affected. It is restarted now (hung-call kill {4}; these do not count"
                + " toward process.max.crashes: a version whose calls keep hanging is killed and restarted each"
                + " time; swap in a fixed version){5}", endpointId, Long.toString(worker.pid()), source,
                worker.ending(), kills, worker.lastOutputText());
        threads.execute(() -> restart(seat, next, worker));
    }

    /** Counts a crash, then restarts the seat's worker (completing {@code next}) or gives up. */
    private void crashed(Seat seat, CompletableFuture<WorkerProcess> next, WorkerProcess worker) {
        crashCount.incrementAndGet();
        Instant now = Instant.now();
        int recent;
        synchronized (crashes) {
            crashes.addLast(now);
            while (!crashes.isEmpty() && crashes.peekFirst().isBefore(now.minus(settings.crashWindow()))) {
                crashes.removeFirst();
            }
            recent = crashes.size();
        }
        lastCrash = "worker process " + worker.pid() + " " + worker.ending() + lastLine(worker.lastOutput());
        lastCrashAt = now;
        if (recent >= settings.maxCrashes()) {
            failed = true;
            LOG.log(Level.ERROR, "endpoint ''{0}'': the worker process {1} of {2} {3}; that is {4} crashes within {5}"
                    + " s: it is no longer restarted and calls to this version fail. Swap in a fixed version"
                    + " (handler:info {0} shows the last crash)", endpointId, Long.toString(worker.pid()), source, worker.ending(),
                    recent, settings.crashWindow().toSeconds());
            next.completeExceptionally(worker.failedVersion(recent, settings.crashWindow()));
            return;
        }
        long delay = recent <= 1 ? 0 : Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(10, recent - 2));
        LOG.log(Level.ERROR, "endpoint ''{0}'': the worker process {1} of {2} {3}; the calls inside it failed, the"
                + " other endpoints are not affected. It is restarted{4} (crash {5} of at most {6} within {7} s){8}",
                endpointId, Long.toString(worker.pid()), source, worker.ending(), delay == 0 ? " now" : " in " + delay + " ms",
                recent, settings.maxCrashes(), settings.crashWindow().toSeconds(), worker.lastOutputText());
        Runnable restart = () -> restart(seat, next, worker);
        if (delay == 0) {
            threads.execute(restart);
        } else {
            BACKOFF.schedule(() -> threads.execute(restart), delay, TimeUnit.MILLISECONDS);
        }
    }

    private void restart(Seat seat, CompletableFuture<WorkerProcess> next, WorkerProcess crashed) {
        if (closing) {
            next.completeExceptionally(closed());
            return;
        }
        WorkerProcess worker;
        try {
            worker = startWorker();
        } catch (HandlerException e) {
            LOG.log(Level.ERROR, "endpoint ''{0}'': restarting its worker process for {1} failed: {2}", endpointId,
                    source, e.getMessage());
            crashed(seat, next, crashed); // counts as one more crash
            return;
        }
        // heard before any call can reach it: a worker that dies at its first call (listened to after
        // next.complete, it ended unheard, and a call waiting on it was told of its crash instead of
        // going to its successor; seen once in CI, the benchmark's crash loop)
        worker.listen(ended -> ended(seat, ended));
        synchronized (seat) {
            if (closing) {
                next.completeExceptionally(closed());
            } else {
                restarts.incrementAndGet();
                next.complete(worker);
            }
        }
        if (!next.isDone() || next.isCompletedExceptionally()) {
            worker.shutdown(settings.shutdownTimeout());
            return;
        }
        LOG.log(Level.INFO, "endpoint ''{0}'': worker process {1} serves {2} again (restart {3})", endpointId,
                Long.toString(worker.pid()), source, restarts.get());
    }

    private HandlerException closed() {
        return new HandlerException(endpointId, "endpoint '" + endpointId + "': this version (" + source
                + ") is unloaded");
    }

    private static String lastLine(List<String> output) {
        return output.isEmpty() ? "" : "; its last output: " + output.get(output.size() - 1);
    }

    /**
     * Ends this version's workers at once, without restarting them: the calls inside fail with a
     * {@link HandlerCrashedException}. For a version that must go while calls hang in it.
     */
    @Override
    public boolean killWorkers(String because) {
        kill(because);
        return true;
    }

    void kill(String because) {
        closing = true;
        for (Seat seat : seats) {
            WorkerProcess worker = seat == null ? null : current(seat.serving);
            if (worker != null) {
                worker.kill(because);
            }
        }
    }

    @Override
    public Isolation isolation() {
        return Isolation.PROCESS;
    }

    @Override
    public Optional<WorkerStatus> workers() {
        List<Long> pids = new ArrayList<>();
        for (Seat seat : seats) {
            WorkerProcess worker = seat == null ? null : current(seat.serving);
            if (worker != null && worker.isUsable()) {
                pids.add(worker.pid());
            }
        }
        return Optional.of(new WorkerStatus(pids, restarts.get(), crashCount.get(), hangKills.get(),
                Optional.ofNullable(lastCrash), Optional.ofNullable(lastCrashAt), failed));
    }

    /**
     * Once no call is inside: asks each worker to run {@code handler_shutdown} and exit, kills those
     * that do not within the shutdown timeout, and deletes the library copy.
     */
    @Override
    public void close() {
        closing = true;
        try {
            for (Seat seat : seats) {
                if (seat == null) {
                    continue;
                }
                WorkerProcess worker;
                synchronized (seat) {
                    worker = current(seat.serving);
                    if (worker == null) {
                        seat.serving.completeExceptionally(closed()); // a restart under way shuts its worker down
                    }
                }
                if (worker != null) {
                    worker.shutdown(settings.shutdownTimeout());
                }
            }
        } finally {
            copy.delete();
        }
    }
}
