package io.handlerregistry.admin.server;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The settings of the admin front (Config Admin PID {@value #PID}), checked as the HTTP front's are: a
 * wrong value is one line naming the key, the value and what is allowed, and the value in force before
 * stays while the rest of the change applies. Immutable.
 *
 * @param host the address to listen on; 127.0.0.1 by default, so that nothing is reachable from elsewhere
 *             unless asked ({@code 0.0.0.0} or {@code ::} for every interface)
 * @param port 0 for any free port (the one bound is logged, and shown by {@code handler:health})
 * @param jvmMetrics whether {@code /metrics} has the JVM's own metrics too (memory, GC, threads, ...)
 */
public record AdminSettings(String host, int port, boolean jvmMetrics) {

    /** The configuration PID, and the prefix of framework properties that stand in for it. */
    public static final String PID = "io.handlerregistry.admin";

    /** The defaults: 127.0.0.1:9090, with the JVM's metrics. */
    public static final AdminSettings DEFAULTS = new AdminSettings("127.0.0.1", 9090, true);

    /** The keys of the settings; other keys of the configuration are named in a warning. */
    public static final Set<String> KEYS = Set.of("host", "port", "jvm.metrics");

    /**
     * The settings a configuration makes, with these as the defaults for what it does not set: each key
     * it sets is checked; a wrong one is told to {@code complaint} and keeps its value from
     * {@code previous} (the settings in force before).
     */
    public AdminSettings with(Map<String, ?> config, AdminSettings previous, Consumer<String> complaint) {
        String newHost = host;
        if (config.containsKey("host")) {
            newHost = String.valueOf(config.get("host")).strip();
            if (newHost.isEmpty() || newHost.chars().anyMatch(Character::isWhitespace)) {
                complaint.accept(wrong("host", config.get("host"), "a host name or address, e.g. 127.0.0.1, 0.0.0.0"
                        + " or ::"));
                newHost = previous.host;
            }
        }
        int newPort = port;
        if (config.containsKey("port")) {
            Object value = config.get("port");
            long n = -1;
            if (value instanceof Number && !(value instanceof Double || value instanceof Float)) {
                n = ((Number) value).longValue();
            } else {
                try {
                    n = Long.parseLong(String.valueOf(value).strip());
                } catch (NumberFormatException e) {
                    n = -1;
                }
            }
            if (n < 0 || n > 65_535) {
                complaint.accept(wrong("port", value, "a whole number from 0 to 65535 (0: any free port)"));
                newPort = previous.port;
            } else {
                newPort = (int) n;
            }
        }
        boolean newJvm = jvmMetrics;
        if (config.containsKey("jvm.metrics")) {
            Object value = config.get("jvm.metrics");
            String s = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
            if (value instanceof Boolean) {
                newJvm = (Boolean) value;
            } else if (s.equals("true") || s.equals("false")) {
                newJvm = Boolean.parseBoolean(s);
            } else {
                complaint.accept(wrong("jvm.metrics", value, "true or false"));
                newJvm = previous.jvmMetrics;
            }
        }
        for (String key : config.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith("service.") && !key.startsWith("component.")
                    && !key.startsWith("felix.") && !key.startsWith("osgi.") && !key.startsWith(".")) {
                complaint.accept("configuration " + PID + ": '" + key + "' is no setting of the admin front; the"
                        + " settings are " + String.join(", ", new TreeSet<>(KEYS)));
            }
        }
        return new AdminSettings(newHost, newPort, newJvm);
    }

    private static String wrong(String key, Object value, String wanted) {
        return "configuration " + PID + ": " + key + " = '" + value + "' is not " + wanted + "; it stays as it was";
    }
}
