package io.handlerregistry.admin.server;

import java.util.List;
import java.util.Map;

import io.handlerregistry.api.Latencies;

/**
 * What the admin front reads of the HTTP front, in its own types: the HTTP front's API is an optional
 * import, and only {@link HttpFrontNumbers} touches it, once its service was found.
 */
public interface HttpNumbers {
    /** Where it listens ({@code http://host:port}); empty if it could not bind. */
    List<String> listeners();

    long connections();

    long inFlight();

    /** Answers by status code on its port (and through the whiteboard servlet). */
    Map<Integer, Long> statuses();

    /**
     * Per endpoint and per version that took the request (its generation; 0: none took it), of the
     * versions the registry holds: answers by status code, and their latencies.
     */
    Map<String, Map<Long, Answers>> versionAnswers();

    /** Answers by status code, and the latencies of all of them. */
    record Answers(Map<Integer, Long> statuses, Latencies latencies) {
    }
}
