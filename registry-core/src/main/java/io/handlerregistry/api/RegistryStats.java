package io.handlerregistry.api;

/**
 * A point-in-time view of a registry.
 *
 * @param loadedCount      endpoints with an active version
 * @param drainingCount    replaced or unloaded versions still loaded because calls are inside them
 * @param activeRequests   requests in flight on active versions
 * @param drainingRequests requests in flight on draining versions
 * @param pinnedCount      unloaded versions whose library the platform loader keeps mapped
 *                         ({@link HandlerState#PINNED})
 * @param overdueRequests  requests in flight, on any version, whose deadline has passed
 *                         ({@link LoadedHandler#overdueCalls()})
 * @param failedCount      active versions in process isolation whose workers crashed too often to be
 *                         restarted ({@link HandlerState#FAILED})
 */
public record RegistryStats(int loadedCount, int drainingCount, long activeRequests, long drainingRequests,
        int pinnedCount, long overdueRequests, int failedCount) {

    /** Stats without failed versions. */
    public RegistryStats(int loadedCount, int drainingCount, long activeRequests, long drainingRequests,
            int pinnedCount, long overdueRequests) {
        this(loadedCount, drainingCount, activeRequests, drainingRequests, pinnedCount, overdueRequests, 0);
    }

    /** Stats without pinned versions or overdue requests. */
    public RegistryStats(int loadedCount, int drainingCount, long activeRequests, long drainingRequests) {
        this(loadedCount, drainingCount, activeRequests, drainingRequests, 0, 0, 0);
    }

    /** Stats without overdue requests. */
    public RegistryStats(int loadedCount, int drainingCount, long activeRequests, long drainingRequests,
            int pinnedCount) {
        this(loadedCount, drainingCount, activeRequests, drainingRequests, pinnedCount, 0, 0);
    }
}
