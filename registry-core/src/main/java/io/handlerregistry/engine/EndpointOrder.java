package io.handlerregistry.engine;

/**
 * The order of the loads, swaps and unloads of one endpoint, and its monitor: each is numbered when
 * it is asked for, and one that took effect makes every earlier one that has not yet taken effect
 * superseded. A swap whose library is still loading (a slow {@code handler_init}) when a later swap or
 * unload takes effect is therefore discarded when its load ends, instead of undoing the later one.
 *
 * <p>Guarded by itself: the registry synchronizes on it for the short steps around a load (never
 * across one), so its fields need no other care.
 */
final class EndpointOrder {
    private long asked;
    private long applied;
    private String appliedWhat = "";
    private long splitLoading; // the ticket of a canary split whose canary still loads, else 0

    /** Numbers a load, swap or unload asked for now. Call while holding this monitor. */
    long ask() {
        return ++asked;
    }

    /** True if something asked for after {@code ticket} has taken effect. Call while holding this monitor. */
    boolean isSuperseded(long ticket) {
        return applied > ticket;
    }

    /** Records that the request numbered {@code ticket} took effect. Call while holding this monitor. */
    void applied(long ticket, String what) {
        applied = ticket;
        appliedWhat = what;
    }

    /** A canary split numbered {@code ticket} loads its canary now. Call while holding this monitor. */
    void splitLoading(long ticket) {
        splitLoading = ticket;
    }

    /** The split numbered {@code ticket} took effect, failed or was discarded. Call while holding this monitor. */
    void splitDone(long ticket) {
        if (splitLoading == ticket) {
            splitLoading = 0;
        }
    }

    /** True if a canary split still loads its canary and nothing asked for later took effect yet. */
    boolean isSplitLoading() {
        return splitLoading != 0 && applied < splitLoading;
    }

    /** What took effect last, for messages: "a swap to /path/lib.so", "an unload". */
    String appliedWhat() {
        return appliedWhat;
    }
}
