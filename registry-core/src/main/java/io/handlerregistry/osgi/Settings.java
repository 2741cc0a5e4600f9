package io.handlerregistry.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Where a component's settings come from, in one place: its configuration (Config Admin, e.g. a
 * {@code conf/<pid>.cfg} file) when there is one, else the framework properties {@code <pid>.<key>},
 * else the defaults of its metatype definition. The typed values come from the component property
 * type, which already holds the configured value or the default; this only decides whether a
 * framework property replaces it (the component description carries the defaults as properties,
 * so only the presence of a configuration tells them apart).
 */
public final class Settings {
    private static final Logger LOG = System.getLogger(Settings.class.getName());

    private final String pid;
    private final Map<String, ?> configuration;
    private final BundleContext context;

    /**
     * @param pid           the configuration PID, also the prefix of the fallback framework properties
     * @param configuration the component's properties as DS passed them
     */
    public Settings(String pid, Map<String, ?> configuration, BundleContext context) {
        this.pid = pid;
        this.configuration = configuration;
        this.context = context;
    }

    /** The framework property a key falls back to. */
    public String frameworkProperty(String key) {
        return pid + "." + key;
    }

    public String string(String key, String configured) {
        String fallback = fallback(key);
        return fallback == null ? configured : fallback;
    }

    public long number(String key, long configured) {
        String fallback = fallback(key);
        if (fallback == null) {
            return configured;
        }
        try {
            return Long.parseLong(fallback);
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "framework property {0}={1} is not a number; using {2}", frameworkProperty(key),
                    fallback, configured);
            return configured;
        }
    }

    public boolean flag(String key, boolean configured) {
        String fallback = fallback(key);
        return fallback == null ? configured : Boolean.parseBoolean(fallback);
    }

    private String fallback(String key) {
        if (configuration.containsKey(Constants.SERVICE_PID)) {
            return null; // configured through Config Admin
        }
        String value = context.getProperty(frameworkProperty(key));
        return value == null || value.isBlank() ? null : value.strip();
    }
}
