package io.handlerregistry.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The worker processes of a version that runs in {@link Isolation#PROCESS process isolation}.
 *
 * @param pids        the process ids of its running workers
 * @param restarts    how often a worker of this version was started again after it crashed or was
 *                    killed for a hung call
 * @param lastCrash   how the last worker that crashed ended (signal or exit code, its last output)
 * @param lastCrashAt when it did
 * @param failed      true once its workers crashed too often to be restarted
 *                    ({@link HandlerState#FAILED}): swap in a fixed version
 */
public record WorkerStatus(List<Long> pids, long restarts, Optional<String> lastCrash, Optional<Instant> lastCrashAt,
        boolean failed) {

    public WorkerStatus {
        pids = List.copyOf(pids);
    }
}
