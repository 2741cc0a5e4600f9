package io.handlerregistry.http.api;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

import io.handlerregistry.api.Latencies;

/**
 * The HTTP front of the handler registry while it serves: where it listens, how it routes, and
 * what it has answered. Implemented by the front only.
 */
@ProviderType
public interface HttpFront {

    /** The addresses it listens on, with the port actually bound (port 0 in the settings means any free one). */
    List<Listener> listeners();

    /** The configured routes, most specific first; the default route comes last. */
    List<Route> routes();

    /** Its counters now: compare two to get rates. */
    Counters counters();

    /**
     * Its answers on its own port per endpoint routed to, and how long each took, from the request's
     * arrival to its answer (every request, not a sample). Endpoints appear once they answered anything
     * but a 404, so that ids nobody serves do not pile up.
     *
     * @since 1.1
     */
    default Map<String, EndpointCounters> endpointCounters() {
        return Map.of();
    }

    /**
     * Its answers on its own port per endpoint and per version that took the request: by
     * {@link io.handlerregistry.api.LoadedHandler#generation() generation}, for the versions the registry
     * still holds (a version unloaded goes with its answers: they stay in {@link #endpointCounters()});
     * under generation 0 the answers no version took (the endpoint not found, overloaded, a body too
     * large, ...). A canary split or a swap under load shows how each version answers.
     *
     * @since 1.2
     */
    default Map<String, Map<Long, EndpointCounters>> versionCounters() {
        return Map.of();
    }

    /** One listening socket. */
    record Listener(String host, int port, List<String> protocols) {
        public Listener {
            protocols = List.copyOf(protocols);
        }

        /** {@code http://host:port}, with IPv6 hosts in brackets. */
        public String url() {
            return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * One route: requests whose method is one of {@code methods} (empty: any) and whose path
     * matches {@code pattern} go to {@code endpoint}.
     */
    record Route(List<String> methods, String pattern, String endpoint) {
        public Route {
            methods = List.copyOf(methods);
        }

        @Override
        public String toString() {
            return (methods.isEmpty() ? "" : String.join(",", methods) + " ") + pattern + " -> " + endpoint;
        }
    }

    /**
     * What the front answered for one endpoint since it started.
     *
     * @param statuses  answers by status code
     * @param latencies the time from each request's arrival to its answer (all of them: {@code sampling} 1)
     *
     * @since 1.1
     */
    record EndpointCounters(Map<Integer, Long> statuses, Latencies latencies) {
        public EndpointCounters {
            statuses = Map.copyOf(statuses);
        }
    }

    /**
     * What the front answered since it started.
     *
     * @param connections     connections open now
     * @param inFlight        requests being answered now
     * @param requests        requests answered
     * @param statuses        answers by status code
     * @param nanosSinceStart how long it has served, for rates
     */
    record Counters(long connections, long inFlight, long requests, Map<Integer, Long> statuses, long nanosSinceStart) {
        public Counters {
            statuses = Map.copyOf(statuses);
        }
    }
}
