package io.handlerregistry.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.LoadedHandler;

/**
 * Makes the canary splits the registry's configuration asks for (setting {@code splits}, see {@link
 * SplitSettings}): an entry that is new or changed is applied (one for an endpoint not loaded yet once it is,
 * looked for on the guard's timer); an entry removed aborts the split it made, if that split still stands. A
 * split that cannot be made is one log line naming the setting, and changes nothing.
 */
final class ConfiguredSplits {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final HandlerRegistry registry;
    private final String pid;
    /** What the configuration asked for last, by endpoint. */
    private Map<String, SplitSettings.Split> asked = Map.of();
    /** Entries waiting for their endpoint to be loaded. */
    private final Map<String, SplitSettings.Split> pending = new LinkedHashMap<>();
    /** The canaries the configuration made, by endpoint. */
    private final Map<String, LoadedHandler> made = new HashMap<>();

    ConfiguredSplits(HandlerRegistry registry, String pid) {
        this.registry = registry;
        this.pid = pid;
    }

    synchronized void configure(Map<String, SplitSettings.Split> wanted) {
        wanted.forEach((id, split) -> {
            if (!split.equals(asked.get(id))) {
                apply(id, split);
            }
        });
        for (String id : asked.keySet()) {
            if (wanted.containsKey(id)) {
                continue;
            }
            pending.remove(id);
            LoadedHandler canary = made.remove(id);
            if (canary != null && registry.split(id).map(s -> s.canary() == canary).orElse(false)) {
                try {
                    registry.abort(id);
                    LOG.log(Level.INFO, "{0}: splits no longer names endpoint ''{1}'': its canary split is aborted",
                            pid, id);
                } catch (HandlerException e) {
                    LOG.log(Level.INFO, "{0}: splits no longer names endpoint ''{1}'': {2}", pid, id, e.getMessage());
                }
            }
        }
        asked = Map.copyOf(wanted);
    }

    /** Applies the entries whose endpoint is loaded now. */
    synchronized void applyPending() {
        if (pending.isEmpty()) {
            return;
        }
        for (Map.Entry<String, SplitSettings.Split> e : Map.copyOf(pending).entrySet()) {
            if (registry.isLoaded(e.getKey())) {
                apply(e.getKey(), e.getValue());
            }
        }
    }

    private void apply(String id, SplitSettings.Split split) {
        pending.remove(id);
        if (!registry.isLoaded(id)) {
            pending.put(id, split);
            LOG.log(Level.INFO, "{0}: splits {1}={2}: endpoint ''{1}'' is not loaded yet; the split is made once it is",
                    pid, id, split.text());
            return;
        }
        try {
            CanarySplit result = isFile(split.canary())
                    ? registry.split(id, Path.of(split.canary()), split.percent())
                    : registry.split(id, split.canary(), split.percent());
            made.put(id, result.canary());
        } catch (HandlerException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "{0}: splits {1}={2} cannot take effect: {3}; endpoint ''{1}'' stays as it was",
                    pid, id, split.text(), e.getMessage());
        }
    }

    /** A library file, not a kept version: a path, or a library's file name. */
    static boolean isFile(String canary) {
        return canary.contains("/") || canary.contains("\\") || canary.endsWith(".so") || canary.endsWith(".dll")
                || canary.endsWith(".dylib");
    }
}
