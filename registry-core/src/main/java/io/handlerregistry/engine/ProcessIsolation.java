package io.handlerregistry.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of process isolation (see {@link io.handlerregistry.api.Isolation#PROCESS}), immutable:
 * each {@code with...} returns a copy. The defaults suit small HTTP-like calls on a few cores.
 *
 * @param workers         worker processes per loaded version (default 1). A call's thread always
 *                        goes to the same one; with several, a crash or a hung call kills the calls
 *                        inside one worker only, and the others keep serving while it restarts
 * @param concurrency     calls one worker serves at once, each on a thread of its own (default 16);
 *                        more wait for a free slot until their deadline
 * @param slotBytes       the largest request, and the largest response, one call may carry (bytes,
 *                        default 1 MiB); shared memory is reserved for each slot, used as needed
 * @param hangGrace       how long past its deadline a call may stay inside before its worker is
 *                        killed and restarted (default 1 s); calls without a deadline are never
 *                        killed. Such a kill is not a crash: however many there are, each is
 *                        restarted at once and the version never fails for them
 * @param maxCrashes      crashes (a signal or an exit; not kills for hung calls) within
 *                        {@code crashWindow} after which a version is no longer restarted and is
 *                        reported as failed (default 5 in 60 s)
 * @param crashWindow     see {@code maxCrashes}
 * @param shutdownTimeout how long a drained worker may take for {@code handler_shutdown} before it is
 *                        killed (default 10 s)
 * @param memoryLimit     address space limit of a worker in bytes (RLIMIT_AS), 0 for none
 * @param cpuLimit        CPU time limit of a worker in seconds (RLIMIT_CPU), 0 for none
 */
public record ProcessIsolation(int workers, int concurrency, int slotBytes, Duration hangGrace, int maxCrashes,
        Duration crashWindow, Duration shutdownTimeout, long memoryLimit, long cpuLimit) {

    /** The default settings. */
    public static final ProcessIsolation DEFAULTS = new ProcessIsolation(1, 16, 1 << 20, Duration.ofSeconds(1), 5,
            Duration.ofSeconds(60), Duration.ofSeconds(10), 0, 0);

    public ProcessIsolation {
        Objects.requireNonNull(hangGrace, "hangGrace");
        Objects.requireNonNull(crashWindow, "crashWindow");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("process isolation: workers must be 1 to 64, not " + workers);
        }
        if (concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("process isolation: concurrency must be 1 to 1024, not " + concurrency);
        }
        if (slotBytes < 64 * 1024 || (long) concurrency * (128 + 2L * slotBytes) + 4096 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("process isolation: slot size " + slotBytes + " bytes must be at least"
                    + " 64 KiB, and concurrency x 2 x slot size at most 2 GiB");
        }
        if (hangGrace.isNegative() || crashWindow.isNegative() || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("process isolation: durations must not be negative");
        }
        if (maxCrashes < 1 || memoryLimit < 0 || cpuLimit < 0) {
            throw new IllegalArgumentException("process isolation: max crashes must be at least 1, limits not"
                    + " negative");
        }
    }

    public ProcessIsolation withWorkers(int n) {
        return new ProcessIsolation(n, concurrency, slotBytes, hangGrace, maxCrashes, crashWindow, shutdownTimeout,
                memoryLimit, cpuLimit);
    }

    public ProcessIsolation withConcurrency(int n) {
        return new ProcessIsolation(workers, n, slotBytes, hangGrace, maxCrashes, crashWindow, shutdownTimeout,
                memoryLimit, cpuLimit);
    }

    public ProcessIsolation withSlotBytes(int bytes) {
        return new ProcessIsolation(workers, concurrency, bytes, hangGrace, maxCrashes, crashWindow, shutdownTimeout,
                memoryLimit, cpuLimit);
    }

    public ProcessIsolation withHangGrace(Duration grace) {
        return new ProcessIsolation(workers, concurrency, slotBytes, grace, maxCrashes, crashWindow, shutdownTimeout,
                memoryLimit, cpuLimit);
    }

    public ProcessIsolation withCrashLimit(int crashes, Duration window) {
        return new ProcessIsolation(workers, concurrency, slotBytes, hangGrace, crashes, window, shutdownTimeout,
                memoryLimit, cpuLimit);
    }

    public ProcessIsolation withShutdownTimeout(Duration timeout) {
        return new ProcessIsolation(workers, concurrency, slotBytes, hangGrace, maxCrashes, crashWindow, timeout,
                memoryLimit, cpuLimit);
    }

    /** Limits per worker: address space in bytes, CPU seconds; 0 for none. */
    public ProcessIsolation withLimits(long memoryBytes, long cpuSeconds) {
        return new ProcessIsolation(workers, concurrency, slotBytes, hangGrace, maxCrashes, crashWindow,
                shutdownTimeout, memoryBytes, cpuSeconds);
    }
}
