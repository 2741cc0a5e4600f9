package io.handlerregistry.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * How many threads of a bounded call executor the calls of one version may hold at once: half of
 * them (at least one), so that a version whose calls hang never takes every thread of a pool it
 * shares with the other endpoints. Calls waiting in the executor's queue count too: each will hold
 * a thread once it runs.
 */
final class ExecutorShare {
    private ExecutorShare() {
    }

    /**
     * Threads one version's calls may hold: half of the executor's threads, at least one; 0 where the
     * executor has no bound this can read (a cached pool, one thread per task, an unknown kind).
     */
    static int of(ExecutorService executor) {
        int threads = threads(executor);
        return threads == 0 ? 0 : Math.max(1, threads / 2);
    }

    /** The most threads the executor runs at once, or 0 when it has no bound this can read. */
    static int threads(ExecutorService executor) {
        if (executor instanceof ThreadPoolExecutor) {
            ThreadPoolExecutor pool = (ThreadPoolExecutor) executor;
            // with a queue that never fills, the pool never grows past its core size
            int threads = pool.getQueue().remainingCapacity() == Integer.MAX_VALUE ? pool.getCorePoolSize()
                    : pool.getMaximumPoolSize();
            return threads == Integer.MAX_VALUE ? 0 : threads;
        }
        if (executor instanceof ForkJoinPool) {
            return ((ForkJoinPool) executor).getParallelism();
        }
        return 0;
    }
}
