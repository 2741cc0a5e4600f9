package io.handlerregistry.admin.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The admin front of the handler registry: where it listens, the health checks behind {@code /livez} and
 * {@code /readyz}, and the numbers {@code /metrics} serves. Implemented by the admin front only.
 */
@ProviderType
public interface AdminFront {

    /** Where it listens ({@code http://host:port}, the port actually bound), or empty if it could not. */
    Optional<String> url();

    /** The checks now: what {@code /livez} and {@code /readyz?verbose} answer. */
    Health health();

    /** What {@code /metrics} would serve now, family by family; the JVM's own metrics only if asked. */
    List<Family> metrics(boolean withJvm);

    /**
     * The checks and their verdicts.
     *
     * @param live   the registry runs (what {@code /livez} answers)
     * @param ready  every readiness check passes (what {@code /readyz} answers)
     * @param checks each check, readiness checks first
     */
    record Health(boolean live, boolean ready, List<Check> checks) {
        public Health {
            checks = List.copyOf(checks);
        }
    }

    /**
     * One check.
     *
     * @param name   e.g. {@code registry}, {@code http}, {@code deploy}, {@code stopping}
     * @param ok     whether it passes
     * @param detail what it found, and if it fails why and what to do
     * @param tags   {@code live}, {@code ready}: which verdicts it counts for
     */
    record Check(String name, boolean ok, String detail, List<String> tags) {
        public Check {
            tags = List.copyOf(tags);
        }
    }

    /**
     * One metric family.
     *
     * @param name    its name without suffixes, as in {@code # TYPE}
     * @param type    {@code counter}, {@code gauge}, {@code histogram}, {@code info}, ...
     * @param help    what it counts
     * @param samples its samples, with the suffixes of the text format ({@code _total}, {@code _bucket}, ...)
     */
    record Family(String name, String type, String help, List<Sample> samples) {
        public Family {
            samples = List.copyOf(samples);
        }
    }

    /** One sample: its name, labels in order, and value. */
    record Sample(String name, Map<String, String> labels, double value) {
        public Sample {
            labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
        }
    }
}
