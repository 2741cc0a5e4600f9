package io.handlerregistry.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

import org.osgi.framework.BundleContext;

import io.handlerregistry.core.HandlerRegistry;

/** Reads the registry's framework properties. */
final class FrameworkProperties {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private FrameworkProperties() {
    }

    /** A number of milliseconds, or the default when unset or not a number (which is logged). */
    static long millis(BundleContext context, String name, long defaultValue) {
        String value = context.getProperty(name);
        try {
            return value == null ? defaultValue : Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "{0}={1} is not a number of milliseconds; using {2}", name, value, defaultValue);
            return defaultValue;
        }
    }
}
