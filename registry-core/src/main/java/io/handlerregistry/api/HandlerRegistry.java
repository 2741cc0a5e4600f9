package io.handlerregistry.api;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Hosts native handler libraries, one active version per endpoint id, and replaces them while
 * they serve.
 *
 * <p>A handler library is a shared library built against {@code handler.h} (shipped in this
 * jar under {@code include/}). Each loaded version is loaded from its own private copy of the
 * file, so a new build written to the same path really loads, and with local symbol binding,
 * so two versions side by side never share symbols or globals.
 *
 * <p>Guarantees:
 * <ul>
 * <li>Native code is never unloaded while a call is inside it, timeouts included: a call whose
 * caller gave up still holds its version loaded until it returns.</li>
 * <li>Swaps switch atomically: a request goes either to the old or to the new version, never to
 * none; a graceful swap loses no request.</li>
 * <li>Bad input (missing or broken file, wrong ABI version, failing {@code handler_init},
 * invalid id, ...) gets a specific {@link HandlerException} and changes nothing.</li>
 * </ul>
 *
 * <p>Thread safety: every method may be called from any thread. Calls never hold a lock while
 * in native code. Loads, swaps and unloads of one endpoint take effect in the order they were
 * asked for, without waiting for each other's library to load: one overtaken by a later one that
 * took effect first (while its library was still loading, e.g. a slow {@code handler_init}) is
 * discarded and fails with {@link HandlerLoadException.Reason#SUPERSEDED}, never ending on top.
 * Different endpoints do not wait for each other.
 *
 * <p>In an OSGi framework, get it as a service: its life cycle is the framework's. Outside OSGi,
 * create one with {@code io.handlerregistry.engine.NativeHandlerRegistry.builder(Path)} and close it
 * when done.
 */
@ProviderType
public interface HandlerRegistry {

    /**
     * The platform's file name of the library for an endpoint: {@code libhandler_{id}.so} on
     * Linux and other ELF systems, {@code handler_{id}.dll} on Windows,
     * {@code libhandler_{id}.dylib} on macOS.
     *
     * @throws InvalidEndpointIdException if the id is not valid
     */
    static String libraryFileName(String endpointId) {
        checkEndpointId(endpointId);
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        if (os.startsWith("windows")) {
            return "handler_" + endpointId + ".dll";
        }
        return "libhandler_" + endpointId + (os.startsWith("mac") || os.startsWith("darwin") ? ".dylib" : ".so");
    }

    /**
     * Checks an endpoint id: 1 to 64 characters of {@code A-Z a-z 0-9 _ -}, starting with a letter
     * or digit, so that it is safe in a file name.
     *
     * @throws InvalidEndpointIdException if it is not
     */
    static void checkEndpointId(String endpointId) {
        if (endpointId == null || endpointId.isEmpty() || endpointId.length() > 64
                || !isIdChar(endpointId.charAt(0), false)) {
            throw new InvalidEndpointIdException(endpointId);
        }
        for (int i = 1; i < endpointId.length(); i++) {
            if (!isIdChar(endpointId.charAt(i), true)) {
                throw new InvalidEndpointIdException(endpointId);
            }
        }
    }

    private static boolean isIdChar(char c, boolean punctuation) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || (punctuation && (c == '_' || c == '-'));
    }

    /** The directory {@link #load(String)} looks in. */
    Path handlersDirectory();

    /**
     * Loads {@link #libraryFileName(String)} from the handlers directory and makes it the
     * endpoint's active version.
     *
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#ALREADY_LOADED} if the
     *                              endpoint already has an active version (use a swap),
     *                              {@link HandlerLoadException.Reason#SUPERSEDED} if a swap or unload
     *                              asked for later took effect while the library was loading, or with
     *                              the reason the library was refused
     */
    LoadedHandler load(String endpointId);

    /**
     * Like {@link #load(String)}, from any file. The library runs where the registry's settings say
     * for this endpoint (in-process unless configured otherwise).
     */
    LoadedHandler loadFrom(String endpointId, Path library);

    /**
     * Like {@link #loadFrom(String, Path)}, with the isolation given here.
     *
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#ISOLATION_UNAVAILABLE} if
     *                              process isolation is asked for where it is not available
     */
    LoadedHandler loadFrom(String endpointId, Path library, Isolation isolation);

    /**
     * Stops the endpoint taking requests. Calls inside it finish; its library is unloaded at
     * once if none is, else by cleanup after the last one returned.
     *
     * @return true if the endpoint had an active version
     */
    boolean unload(String endpointId);

    boolean isLoaded(String endpointId);

    /** The endpoints with an active version, sorted. */
    Set<String> endpoints();

    /** The active version of an endpoint. */
    Optional<LoadedHandler> handler(String endpointId);

    /** Every loaded version: active ones (the canaries of splits after the primaries), then draining ones. */
    List<LoadedHandler> handlers();

    /**
     * Calls the endpoint's active version on the calling thread.
     *
     * @throws EndpointNotFoundException   if no version is loaded for the endpoint
     * @throws InvalidEndpointIdException  if the id is not valid
     * @throws HandlerFailedException      if the handler returned a non-zero code
     * @throws HandlerException            if the handler's response broke the ABI
     */
    HandlerResponse execute(String endpointId, RequestContext context, HandlerRequest request);

    /**
     * Calls the endpoint's active version on the calling thread and hands its response to
     * {@code reader} before the handler may release it: for an in-process native handler on JDK
     * 22+ the body is a view of the handler's memory, not copied (see {@link ResponseReader} for
     * how long it may be read); otherwise it is the copy {@link #execute(String, RequestContext,
     * HandlerRequest)} makes. An exception the reader throws reaches the caller as it is, and does
     * not count as a failure of the handler.
     *
     * @return what the reader returned
     * @throws EndpointNotFoundException  if no version is loaded for the endpoint
     * @throws InvalidEndpointIdException if the id is not valid
     * @throws HandlerFailedException     if the handler returned a non-zero code (the reader is not called)
     * @throws HandlerException           if the handler's response broke the ABI (the reader is not called)
     */
    default <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            ResponseReader<T> reader) {
        HandlerResponse response = execute(endpointId, context, request);
        return reader.read(response, ByteBuffer.wrap(response.body()).asReadOnlyBuffer());
    }

    /**
     * Like {@link #execute(String, RequestContext, HandlerRequest, ResponseReader)}, and tells
     * {@code taken} which version took the call: on the calling thread, once the call has its place
     * in that version and before the handler runs (the canary or the primary of a
     * {@link CanarySplit split}, the new version of a swap). A call no version took (the endpoint
     * not found, every place taken) tells nothing. For fronts that count their answers per version;
     * an exception {@code taken} throws reaches the caller as it is, and the handler is not called.
     *
     * @return what the reader returned
     * @since 1.3
     */
    default <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            Consumer<? super LoadedHandler> taken, ResponseReader<T> reader) {
        return execute(endpointId, context, request, reader);
    }

    /**
     * Calls the endpoint on the registry's call executor and waits at most {@code timeout}. The
     * handler sees the earlier of the context's deadline and now + timeout.
     *
     * <p>A call that times out keeps its thread of the call executor, and its version loaded,
     * until native code returns: handlers that may hang should watch the deadline they are given.
     *
     * @throws HandlerTimeoutException when the timeout passes first; the native call goes on and
     *                                 keeps its version loaded until it returns
     */
    HandlerResponse executeWithTimeout(String endpointId, RequestContext context, HandlerRequest request,
            Duration timeout);

    /** Calls the endpoint on the registry's call executor. */
    CompletableFuture<HandlerResponse> executeAsync(String endpointId, RequestContext context,
            HandlerRequest request);

    /**
     * Immediate swap: loads and initializes {@code library}, then makes it the endpoint's active
     * version; the old version takes no new request from that moment. Calls already inside it are
     * not cut off (native code cannot be stopped safely): they finish, then cleanup unloads it.
     * If the endpoint had no version, this loads one. If the new library is refused, nothing
     * changes.
     *
     * @throws HandlerLoadException with the reason the library was refused, or with
     *                              {@link HandlerLoadException.Reason#SUPERSEDED} if a load, swap or
     *                              unload of the endpoint asked for later took effect while this
     *                              library was loading (this one is then discarded)
     */
    SwapResult swap(String endpointId, Path library);

    /**
     * Graceful swap: like {@link #swap(String, Path)}, then waits up to {@code drainTimeout} for
     * the old version's in-flight calls and unloads it when they are done. If the timeout passes
     * first it returns with {@link SwapResult#draining()} true; the old version is unloaded by
     * cleanup after its last call returned.
     */
    SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout);

    /** Like {@link #swap(String, Path)}, with the new version's isolation given here. */
    SwapResult swap(String endpointId, Path library, Isolation isolation);

    /**
     * Like {@link #swapGraceful(String, Path, Duration)}, with the new version's isolation given here
     * (the old version may run in either). In process isolation the new worker is started and its
     * {@code handler_init} has returned before the first call goes to it; the old worker is asked
     * to shut down ({@code handler_shutdown}) once drained.
     */
    SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout, Isolation isolation);

    /**
     * The versions the endpoint served, newest first: the one serving now (if any, {@link
     * HistoryEntry#serving()}), then the ones before it, at most the registry's history size in all
     * (setting {@code history.size}, default 5). Each loaded library version's private copy is kept on
     * disk (not loaded: a replaced version is unloaded once drained) for as long as an entry names it,
     * so that {@link #rollback(String, String)} can go back to it. Where the registry has a history
     * directory that outlives it (the container's {@code var/}), the history survives restarts.
     *
     * @return the entries, empty for an endpoint that never served
     * @throws InvalidEndpointIdException if the id is not valid
     */
    List<HistoryEntry> history(String endpointId);

    /**
     * Rolls the endpoint back to the version that served before the one serving now: the newest
     * entry of its {@link #history(String) history} with another library than the one serving
     * (calling it twice therefore goes back and forth). Like {@link #rollback(String, String)}.
     */
    SwapResult rollback(String endpointId);

    /**
     * Rolls the endpoint back to a version its history keeps: a swap to a new private copy of that
     * version's kept library (in the isolation it had), with the guarantees of any swap: new calls go
     * to it at once, the calls inside the version it replaces finish there, which is unloaded once
     * drained (this returns without waiting for them: see {@link #rollback(String, String, Duration)}).
     * It is ordered with the other loads, swaps and unloads of the endpoint. The history gets a new
     * entry for it ({@link HistoryEntry#rollbackOf()} names the one it went back to).
     *
     * <p>While that version serves, the endpoint is <em>pinned</em> to it: a handler bundle that was
     * already there (e.g. the deploy folder's file that the rollback replaced, also when it is installed
     * again at a restart) does not take it over; a new one (a new file in the deploy folder), a load,
     * swap or unload through the API ends the pin. A registry with a lasting history directory serves a
     * pinned version again at its next start, before any handler bundle can.
     *
     * @param version the entry's number ({@code 3} or {@code #3}) or its version (e.g. {@code 1.0.0}:
     *                the newest entry with it); null or empty for the previous version
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#NOT_IN_HISTORY} if the history
     *                              holds no such version (the message lists what it holds) or holds it
     *                              without a library, {@link HandlerLoadException.Reason#ALREADY_LOADED}
     *                              if that library serves already, {@link HandlerLoadException.Reason#FILE_NOT_FOUND}
     *                              or {@link HandlerLoadException.Reason#FILE_CHANGED} if its kept copy was
     *                              deleted or changed on disk, {@link HandlerLoadException.Reason#SUPERSEDED}
     *                              as for a swap, or why the library was refused; nothing changes then
     */
    SwapResult rollback(String endpointId, String version);

    /**
     * Like {@link #rollback(String, String)}, then waits up to {@code drainTimeout} for the calls inside
     * the replaced version and its unload, as {@link #swapGraceful(String, Path, Duration)} does.
     */
    SwapResult rollback(String endpointId, String version, Duration drainTimeout);

    /**
     * Starts a canary split of a loaded endpoint, or changes it: a new version, the <em>canary</em>, is loaded
     * from {@code library} (a private copy, as for a swap) beside the version serving (the <em>primary</em>),
     * and gets {@code percent} of the endpoint's new calls from the moment this returns; the primary gets the
     * others. Both are tracked like any version: a call inside either finishes there, and neither is unloaded
     * while a call is inside. The split ends with {@link #promote(String)} (the canary becomes the only version,
     * a graceful swap), {@link #abort(String)} (all calls go to the primary again, the canary drains), or with
     * any swap, rollback or unload of the endpoint (both versions it held drain, the new one serves alone).
     *
     * <p>On an endpoint that is split already, a library with the same content (SHA-256) as its canary only
     * changes the percent (ramping up); another library replaces the canary (the one before drains). Ordered
     * with the endpoint's loads, swaps, unloads and rollbacks, as they are with each other.
     *
     * @param percent more than 0 and less than 100, to 0.01 (e.g. {@code 0.5}, {@code 20})
     * @return the split in effect
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#NOT_LOADED} if the endpoint has no
     *                              version to share with, {@link HandlerLoadException.Reason#ALREADY_LOADED} if
     *                              the library is the one the primary serves, {@link
     *                              HandlerLoadException.Reason#SUPERSEDED} as for a swap, or why the library was
     *                              refused; nothing changes then
     * @throws IllegalArgumentException if the percent is out of range
     * @since 1.2
     */
    CanarySplit split(String endpointId, Path library, double percent);

    /**
     * Like {@link #split(String, Path, double)}, with a version the endpoint's {@link #history(String) history}
     * keeps as the canary: its number ({@code 2} or {@code #2}) or its version ({@code 2.0.0}), as for {@link
     * #rollback(String, String)}. A canary from the history that is promoted pins the endpoint, as a rollback
     * does.
     *
     * @throws HandlerLoadException also with {@link HandlerLoadException.Reason#NOT_IN_HISTORY}, {@link
     *                              HandlerLoadException.Reason#FILE_NOT_FOUND} or {@link
     *                              HandlerLoadException.Reason#FILE_CHANGED} as for a rollback
     * @since 1.2
     */
    CanarySplit split(String endpointId, String keptVersion, double percent);

    /**
     * The endpoint's canary split, if it has one now.
     *
     * @since 1.2
     */
    Optional<CanarySplit> split(String endpointId);

    /**
     * Ends the endpoint's canary split by making the canary its only version: a graceful swap (the calls inside
     * the primary finish there; it is unloaded once drained; this returns without waiting for that). The history
     * gets an entry for the promoted version.
     *
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#NO_SPLIT} if the endpoint has no split
     * @since 1.2
     */
    SwapResult promote(String endpointId);

    /**
     * Like {@link #promote(String)}, then waits up to {@code drainTimeout} for the primary's calls and its unload.
     *
     * @since 1.2
     */
    SwapResult promote(String endpointId, Duration drainTimeout);

    /**
     * Ends the endpoint's canary split by sending all its new calls to the primary again: the calls inside the
     * canary finish there, and it is unloaded once drained (this returns without waiting for that).
     *
     * @return about the canary, as a swap's result is about the version it replaced; not {@code swapped} when
     *         the split asked for before still loaded its canary: that split then never takes effect (its caller
     *         gets {@link HandlerLoadException.Reason#SUPERSEDED})
     * @throws HandlerLoadException with {@link HandlerLoadException.Reason#NO_SPLIT} if the endpoint has no split
     * @since 1.2
     */
    SwapResult abort(String endpointId);

    RegistryStats stats();

    /**
     * What the registry has done since it started: its generation, calls for unknown endpoints, swaps by
     * kind and result, drain durations, rollbacks by reason (see {@link RegistryActivity}).
     *
     * @since 1.2
     */
    default RegistryActivity activity() {
        return RegistryActivity.NONE;
    }

    /**
     * Unloads every draining version with no request left inside.
     *
     * @return how many versions were unloaded
     */
    int cleanupDrained();
}
