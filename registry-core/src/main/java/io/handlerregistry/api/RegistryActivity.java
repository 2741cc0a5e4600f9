package io.handlerregistry.api;

import java.util.Map;

/**
 * What a registry has done since it started, for metrics and status pages ({@link HandlerRegistry#activity()}).
 *
 * @param generation     changes with every change of an endpoint's active version (a load, a swap, an unload),
 *                       so that rollout tooling can tell whether two looks saw the same set of versions
 * @param notFound       calls for an endpoint that had no version (not per endpoint: any id may be asked for)
 * @param swaps          loads, swaps and unloads asked for, by {@link SwapKind kind and result}
 * @param drainDurations how long the replaced or unloaded versions took to drain, from the moment they took
 *                       no new call to the return of their last call (every drain that ended)
 * @param rollbacks      rollbacks that took effect, by reason: {@code manual} (asked for through the API or the
 *                       shell), {@code guard} (the registry's guard rolled back a failing version or aborted a
 *                       failing canary by itself)
 */
public record RegistryActivity(long generation, long notFound, Map<SwapKind, Long> swaps, Latencies drainDurations,
        Map<String, Long> rollbacks) {

    public RegistryActivity {
        swaps = Map.copyOf(swaps);
        rollbacks = Map.copyOf(rollbacks);
    }

    /** Nothing done. */
    public static final RegistryActivity NONE = new RegistryActivity(0, 0, Map.of(), Latencies.none(1), Map.of());

    /**
     * A kind of change and how it ended.
     *
     * @param kind   {@code load} (also a swap that found no version), {@code swap} (immediate), {@code graceful},
     *               {@code rollback}, {@code unload}, {@code split}, {@code promote} or {@code abort} (of a canary
     *               split)
     * @param result {@code ok}; {@code refused} (the library was refused: {@link HandlerLoadException}, also
     *               a handler bundle's, whose bundle then did not start; or an unload of an endpoint that had
     *               no version); {@code superseded}
     *               ({@link HandlerLoadException.Reason#SUPERSEDED})
     */
    public record SwapKind(String kind, String result) {
    }
}
