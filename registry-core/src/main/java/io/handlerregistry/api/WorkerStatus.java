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
 * @param crashes     how often a worker of this version crashed (a signal, or an exit): these count
 *                    toward the crash limit that makes the version {@link HandlerState#FAILED}
 * @param hangKills   how often the registry killed a worker of this version because a call was still
 *                    inside past its deadline and the grace; each is restarted at once, and these never
 *                    make the version failed
 * @param lastCrash   how the last worker that ended unasked ended: its signal or exit code and last
 *                    output, or that the registry killed it for a hung call
 * @param lastCrashAt when it did
 * @param failed      true once its workers crashed too often to be restarted
 *                    ({@link HandlerState#FAILED}): swap in a fixed version
 */
public record WorkerStatus(List<Long> pids, long restarts, long crashes, long hangKills, Optional<String> lastCrash,
        Optional<Instant> lastCrashAt, boolean failed) {

    public WorkerStatus {
        pids = List.copyOf(pids);
    }
}
