package io.handlerregistry.api;

/**
 * What a swap did.
 *
 * @param swapped            true when an older version was replaced; false when the endpoint had
 *                           none and the new version was simply loaded
 * @param oldRequestsPending requests still inside the old version when the swap returned
 * @param draining           true when the old version is still loaded because those requests
 *                           have not returned yet; it is unloaded by cleanup once they have
 */
public record SwapResult(boolean swapped, long oldRequestsPending, boolean draining) {
}
