package io.handlerregistry.api;

/**
 * A point-in-time view of a registry.
 *
 * @param loadedCount      endpoints with an active version
 * @param drainingCount    replaced or unloaded versions still loaded because calls are inside them
 * @param activeRequests   requests in flight on active versions
 * @param drainingRequests requests in flight on draining versions
 */
public record RegistryStats(int loadedCount, int drainingCount, long activeRequests, long drainingRequests) {
}
