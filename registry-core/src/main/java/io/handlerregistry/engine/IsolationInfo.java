package io.handlerregistry.engine;

import java.util.Optional;

import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.WorkerStatus;

/** A handler that knows where its native code runs: the registry shows it for the version serving it. */
public interface IsolationInfo {

    Isolation isolation();

    /** Its worker processes, in process isolation. */
    Optional<WorkerStatus> workers();

    /**
     * In process isolation: kills its workers, so that the calls hanging inside fail (nothing is
     * restarted). In-process nothing can end a call: false.
     */
    default boolean killWorkers(String because) {
        return false;
    }
}
