package io.handlerregistry.engine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import io.handlerregistry.api.CallOutcomes;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRegistry;

/**
 * The registry's guard (see {@link GuardSettings}): on a timer of its own, it reads the call counters every
 * version keeps anyway ({@link CallOutcomes}) of the versions it watches, and rolls back, aborts or promotes
 * through the registry. Nothing of it is on a call's path.
 *
 * <p>Its state (one {@link Watch} per watched version) is touched by its timer's thread only.
 */
final class Guard {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    /** What the guard asks of the registry; each does nothing when the version is no longer where it was. */
    interface Actions {
        /** Rolls the endpoint back from {@code failing}, which serves it. */
        void rollBack(String endpointId, HandlerVersion failing, String why);

        /** Aborts the endpoint's split whose canary is {@code failing}. */
        void abort(String endpointId, HandlerVersion failing, String why);

        /** Promotes the endpoint's canary {@code healthy}. */
        void promote(String endpointId, HandlerVersion healthy, String why);
    }

    private final Actions actions;
    private volatile GuardSettings defaults = GuardSettings.DEFAULTS;
    private volatile Map<String, GuardSettings> perEndpoint = Map.of();
    private final Map<HandlerVersion, Watch> watches = new HashMap<>();
    /** Looks taken so far (tests wait for some to have passed). */
    private volatile long checks;

    Guard(Actions actions) {
        this.actions = actions;
    }

    void configure(GuardSettings defaults, Map<String, GuardSettings> perEndpoint) {
        this.defaults = defaults;
        this.perEndpoint = Map.copyOf(perEndpoint);
    }

    GuardSettings settingsOf(String endpointId) {
        return perEndpoint.getOrDefault(endpointId, defaults);
    }

    /** True if the guard watches any endpoint at all. */
    boolean isOn() {
        if (defaults.enabled()) {
            return true;
        }
        for (GuardSettings s : perEndpoint.values()) {
            if (s.enabled()) {
                return true;
            }
        }
        return false;
    }

    /** One look at the versions to watch among the active ones (and their canaries). */
    void check(Map<String, HandlerVersion> active) {
        try {
            look(active);
        } finally {
            checks++; // one thread only
        }
    }

    long checks() {
        return checks;
    }

    private void look(Map<String, HandlerVersion> active) {
        if (!isOn()) {
            watches.clear();
            return;
        }
        long now = System.nanoTime();
        Set<HandlerVersion> seen = new HashSet<>();
        for (Map.Entry<String, HandlerVersion> e : active.entrySet()) {
            String endpointId = e.getKey();
            GuardSettings settings = settingsOf(endpointId);
            if (!settings.enabled()) {
                continue;
            }
            HandlerVersion primary = e.getValue();
            Canary split = primary.split;
            HandlerVersion watched = split != null ? split.version() : primary.guarded ? primary : null;
            if (watched == null || watched.isDraining()) {
                continue;
            }
            long since = watched.tookEffectNanos;
            if (split == null && !settings.watch().isZero() && now - since > settings.watch().toNanos()) {
                continue; // watched for as long as it is watched after a swap
            }
            seen.add(watched);
            Watch watch = watches.computeIfAbsent(watched, v -> new Watch(since));
            if (watch.done) {
                continue;
            }
            watch.sample(now, watched.outcomes());
            long[] w = watch.window(now, settings.window().toNanos());
            long requests = w[0];
            long failures = w[1];
            long nanos = w[2];
            if (requests >= settings.minRequests() && failures > settings.maxFailureRatio() * requests) {
                watch.done = true;
                String why = failures + " of its last " + requests + " calls failed (" + percent(failures, requests)
                        + ") within " + seconds(nanos) + ", more than guard.max.failure.ratio " + settings.maxFailureRatio()
                        + " of at least guard.min.requests " + settings.minRequests() + " calls (guard.window.s "
                        + settings.window().toSeconds() + ")";
                act(() -> {
                    if (split != null) {
                        actions.abort(endpointId, watched, why);
                    } else {
                        actions.rollBack(endpointId, watched, why);
                    }
                }, endpointId);
            } else if (split != null && !settings.promoteAfter().isZero()
                    && now - split.sinceNanos() >= settings.promoteAfter().toNanos()
                    && watch.total() >= settings.minRequests()) {
                watch.done = true;
                String why = "it served " + watch.total() + " calls in " + seconds(now - split.sinceNanos())
                        + " of its split (guard.promote.after.s " + settings.promoteAfter().toSeconds() + "), "
                        + watch.totalFailures() + " of them failed, never more than guard.max.failure.ratio "
                        + settings.maxFailureRatio() + " within guard.window.s " + settings.window().toSeconds();
                act(() -> actions.promote(endpointId, watched, why), endpointId);
            }
        }
        watches.keySet().retainAll(seen);
    }

    private static void act(Runnable action, String endpointId) {
        try {
            action.run();
        } catch (HandlerException | IllegalStateException e) {
            LOG.log(Level.WARNING, "endpoint ''{0}'': the guard could not act: {1}", endpointId, e.getMessage());
        }
    }

    private static String percent(long part, long whole) {
        return Math.round(100.0 * part / whole) + " %";
    }

    private static String seconds(long nanos) {
        return Math.max(1, Math.round(nanos / 1e9)) + " s";
    }

    /** The counters of one watched version over time: enough samples to cover its window. */
    static final class Watch {
        /** {time, calls ended, failures}, oldest first; the first is (took effect, 0, 0) until the window passes it. */
        private final ArrayDeque<long[]> samples = new ArrayDeque<>();
        boolean done;

        Watch(long since) {
            samples.add(new long[] {since, 0, 0});
        }

        void sample(long now, CallOutcomes o) {
            samples.addLast(new long[] {now, o.ok() + o.handlerErrors() + o.crashed(),
                    o.handlerErrors() + o.crashed() + o.timedOut()});
        }

        /** {calls, failures, nanos} from the newest sample at or before the window's start to the last one. */
        long[] window(long now, long windowNanos) {
            Iterator<long[]> it = samples.iterator();
            it.next();
            while (samples.size() > 2 && it.hasNext() && it.next()[0] <= now - windowNanos) {
                samples.removeFirst();
                it = samples.iterator();
                it.next();
            }
            long[] base = samples.getFirst();
            long[] last = samples.getLast();
            return new long[] {last[1] - base[1], last[2] - base[2], last[0] - base[0]};
        }

        long total() {
            return samples.getLast()[1];
        }

        long totalFailures() {
            return samples.getLast()[2];
        }
    }

    /** How often the guard looks unless configured otherwise. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
}
