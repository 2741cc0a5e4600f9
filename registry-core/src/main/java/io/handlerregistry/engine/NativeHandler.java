package io.handlerregistry.engine;

import static io.handlerregistry.engine.AbiLayout.*;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.spi.Handler;

/**
 * One loaded version of a handler library: opened from its private copy with
 * {@code RTLD_NOW | RTLD_LOCAL}, ABI version checked, {@code handler_init} called, entry points
 * bound. Knows nothing about draining: the registry calls {@link #close()} only once no call is
 * inside.
 */
final class NativeHandler implements ResponseViews, AutoCloseable {
    private static final Logger LOG = System.getLogger(NativeHandler.class.getName());
    private static final int MAX_RESPONSE_HEADERS = 4096;
    private static final byte[] NO_BYTES = new byte[0];
    /** How long handler_init may take unless the registry says otherwise. */
    static final int DEFAULT_INIT_TIMEOUT_SECONDS = 30;
    /** An error message longer than this is cut here (it stays valid UTF-8). */
    private static final int MAX_ERROR_MESSAGE = 64 * 1024;

    private final String endpointId;
    private final String source;
    private final LibraryCopy copy;
    private final NativeLibrary library;
    private final DirectBindings bindings;
    private final EntryPoint entry;
    private final ReleasePoint release; // null when the library exports no handler_release
    private final Function shutdown; // null when the library exports no handler_shutdown
    private final Memory endpointIdBytes;

    private NativeHandler(String endpointId, String source, LibraryCopy copy, NativeLibrary library,
            DirectBindings bindings, EntryPoint entry, ReleasePoint release, Function shutdown,
            Memory endpointIdBytes) {
        this.endpointId = endpointId;
        this.source = source;
        this.copy = copy;
        this.library = library;
        this.bindings = bindings;
        this.entry = entry;
        this.release = release;
        this.shutdown = shutdown;
        this.endpointIdBytes = endpointIdBytes;
    }

    /**
     * Loads the library at {@code copy} (a private copy of {@code file}) for an endpoint.
     * On failure everything opened is closed again, the copy is deleted, and the exception says why.
     *
     * @param file        the library file the load is about (in exceptions)
     * @param source      where it comes from, for messages and for {@code handler_init}'s library_path
     * @param initTimeout how long {@code handler_init} may take; past it the load is refused, and the
     *                    library is unloaded (and its copy deleted) once init returns after all
     * @param initThreads where {@code handler_init} runs (a pool saves starting a thread, 0.2 ms here);
     *                    null: a thread of its own
     */
    static NativeHandler open(String endpointId, Path file, String source, LibraryCopy copy, Duration initTimeout,
            Executor initThreads) {
        NativeLibrary library = null;
        DirectBindings bindings = null;
        Memory idBytes = null;
        boolean done = false; // opened, or handed over to an init that has not returned yet
        try {
            library = dlopen(endpointId, file, source, copy.path());
            checkAbiVersion(endpointId, file, source, library);
            bindings = new DirectBindings(library);
            EntryPoint entry = bindEntry(endpointId, file, source, bindings);
            ReleasePoint release = exports(library, "handler_release") ? bindings.release() : null;
            Function shutdown = exports(library, "handler_shutdown") ? library.getFunction("handler_shutdown") : null;
            idBytes = utf8(endpointId);
            if (exports(library, "handler_init")) {
                CompletableFuture<Void> init = startInit(endpointId, file, source, library.getFunction("handler_init"),
                        idBytes, initThreads);
                try {
                    init.get(initTimeout.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException | InterruptedException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    unloadWhenReturned(init, library, bindings, shutdown, idBytes, copy);
                    done = true;
                    throw new HandlerLoadException(endpointId, file, Reason.INIT_TIMEOUT, "endpoint '" + endpointId
                            + "': handler_init of " + source + (e instanceof InterruptedException
                                    ? " was not waited for (interrupted)"
                                    : " did not return within " + initTimeout.toMillis() + " ms")
                            + ": the load is refused and the version that was serving (if any) keeps serving;"
                            + " the library stays mapped until handler_init returns, then it is unloaded", e);
                } catch (ExecutionException e) {
                    throw Unchecked.of(e.getCause());
                }
            }
            NativeHandler handler = new NativeHandler(endpointId, source, copy, library, bindings, entry, release,
                    shutdown, idBytes);
            done = true;
            return handler;
        } finally {
            if (!done) {
                if (bindings != null) {
                    bindings.unregister();
                }
                if (library != null) {
                    library.close();
                }
                if (idBytes != null) {
                    idBytes.close();
                }
                copy.delete();
            }
        }
    }

    /** With the default time for handler_init ({@value #DEFAULT_INIT_TIMEOUT_SECONDS} s). */
    static NativeHandler open(String endpointId, Path file, String source, LibraryCopy copy) {
        return open(endpointId, file, source, copy, Duration.ofSeconds(DEFAULT_INIT_TIMEOUT_SECONDS), null);
    }

    /** Runs handler_init on another thread: the caller waits for it only so long. */
    private static CompletableFuture<Void> startInit(String endpointId, Path file, String source, Function init,
            Memory idBytes, Executor threads) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        Runnable run = () -> {
            try {
                init(endpointId, file, source, init, idBytes);
                result.complete(null);
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        };
        try {
            if (threads != null) {
                threads.execute(run);
                return result;
            }
        } catch (RejectedExecutionException e) {
            // shut down meanwhile: a thread of its own
        }
        Thread thread = new Thread(run, "handler-init-" + endpointId);
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /** After a load that gave up waiting for handler_init: unloads the library once init returned. */
    private static void unloadWhenReturned(CompletableFuture<Void> init, NativeLibrary library,
            DirectBindings bindings, Function shutdown, Memory idBytes, LibraryCopy copy) {
        init.whenComplete((ok, failure) -> {
            try {
                if (failure == null && shutdown != null) {
                    shutdown.invokeVoid(new Object[0]); // it did initialize: let it release what it took
                }
            } finally {
                bindings.unregister();
                library.close();
                idBytes.close();
                copy.delete();
                LOG.log(Level.INFO, "the late handler_init of {0} returned; that library is unloaded", copy.path());
            }
        });
    }

    /** Calls {@code handler_entry} on the calling thread. */
    @Override
    public HandlerResponse handle(RequestContext context, HandlerRequest request) {
        CallArena arena = CallArena.current();
        arena.prepare(Pointer.nativeValue(endpointIdBytes), (int) endpointIdBytes.size(), context, request);
        try {
            int code = entry.call(arena.address(CallArena.CONTEXT), arena.address(CallArena.REQUEST),
                    arena.address(CallArena.RESPONSE));
            if (code == 0 && arena.responseLong(RESPONSE_RELEASE_DATA) == 0) {
                return readResponse(arena, true); // the common case, kept small so that it compiles into the caller
            }
            return finish(arena, code);
        } finally {
            arena.shrinkIfGrown();
        }
    }

    /**
     * Calls {@code handler_entry} and hands the response to {@code reader} before releasing it: the
     * body as a view of the memory it lies in where {@link NativeMemory#view} can revoke one (JDK
     * 22+), else as a copy made for this read, writable, whose array the reader may keep. The reader
     * may call the registry again on this thread: meanwhile this thread's calls use call memory of
     * their own, so that this response stays as it is.
     */
    @Override
    public <T> T read(RequestContext context, HandlerRequest request, ResponseReader<T> reader) {
        CallArena arena = CallArena.current();
        arena.prepare(Pointer.nativeValue(endpointIdBytes), (int) endpointIdBytes.size(), context, request);
        try {
            int code = entry.call(arena.address(CallArena.CONTEXT), arena.address(CallArena.REQUEST),
                    arena.address(CallArena.RESPONSE));
            try {
                if (code != 0) {
                    throw new HandlerFailedException(endpointId, code, errorMessage(arena));
                }
                long data = arena.responseLong(RESPONSE_BODY + BYTES_DATA);
                long length = arena.responseLong(RESPONSE_BODY + BYTES_LEN);
                checkRange(arena, data, length, "body");
                HandlerResponse head = readResponse(arena, false);
                CallArena outer = CallArena.lend();
                try {
                    if (!NativeMemory.viewsRevocable()) {
                        return reader.read(head, ByteBuffer.wrap(arena.readBytes(data, (int) length)));
                    }
                    return NativeMemory.view(data, length, body -> reader.read(head, body));
                } finally {
                    CallArena.giveBack(outer);
                }
            } finally {
                if (arena.responseLong(RESPONSE_RELEASE_DATA) != 0) {
                    releaseResponse(arena);
                }
            }
        } finally {
            arena.shrinkIfGrown();
        }
    }

    /** A handler error, or a response in handler memory that must be released after copying. */
    private HandlerResponse finish(CallArena arena, int code) {
        try {
            if (code != 0) {
                throw new HandlerFailedException(endpointId, code, errorMessage(arena));
            }
            return readResponse(arena, true);
        } finally {
            if (arena.responseLong(RESPONSE_RELEASE_DATA) != 0) {
                releaseResponse(arena);
            }
        }
    }

    private void releaseResponse(CallArena arena) {
        if (release == null) {
            throw new HandlerException(endpointId, "handler for endpoint '" + endpointId + "' (" + source
                    + ") set release_data but exports no handler_release: its memory leaks;"
                    + " export handler_release (see handler.h, MEMORY)");
        }
        release.release(arena.address(CallArena.RESPONSE));
    }

    /** Calls {@code handler_shutdown}, unbinds and unloads the library, deletes its copy. */
    @Override
    public void close() {
        try {
            if (shutdown != null) {
                shutdown.invokeVoid(new Object[0]);
            }
        } finally {
            bindings.unregister();
            library.close();
            endpointIdBytes.close();
            copy.delete();
        }
    }

    /**
     * After {@link #close()}: whether the platform loader still keeps the copy mapped, logged with
     * the cause and the fix when it does. One read of /proc/self/maps (0.1 to 0.4 ms here): callers
     * do it after they told waiters the unload is done.
     */
    boolean reportIfStillMapped() {
        boolean mapped = isMapped();
        if (mapped) {
            LOG.log(Level.WARNING, "endpoint ''{0}'': {1} is unloaded, but the platform loader keeps its"
                    + " copy {2} mapped: a thread-local with a destructor (C++ thread_local of a class type,"
                    + " Rust thread_local! holding heap data) holds it while a thread that called it lives."
                    + " It goes when those threads end; avoid such thread-locals (see handler.h, THREADING)",
                    endpointId, source, copy.path());
        }
        return mapped;
    }

    /** True while the platform loader keeps this version's copy mapped (after close: pinned). */
    boolean isMapped() {
        return MappedFiles.isMapped(copy.path());
    }

    Path loadedCopy() {
        return copy.path();
    }

    /** The response; with an empty body unless {@code withBody} (the caller reads it itself). */
    private HandlerResponse readResponse(CallArena arena, boolean withBody) {
        int status = arena.responseInt(RESPONSE_STATUS);
        if (status < 100 || status > 599) {
            throw broken("status " + status + ": an HTTP status is 100 to 599");
        }
        long headerCount = Integer.toUnsignedLong(arena.responseInt(RESPONSE_HEADER_COUNT));
        long headers = arena.responseLong(RESPONSE_HEADERS);
        if (headerCount > MAX_RESPONSE_HEADERS || (headerCount > 0 && headers == 0)) {
            throw broken("header_count " + headerCount + " with headers at 0x" + Long.toHexString(headers));
        }
        if (!arena.readable(headers, headerCount * HEADER_SIZE)) {
            throw outsideBuffer("headers", headers, headerCount * HEADER_SIZE);
        }
        byte[] body = withBody ? bytes(arena, arena.responseLong(RESPONSE_BODY + BYTES_DATA),
                arena.responseLong(RESPONSE_BODY + BYTES_LEN), "body") : NO_BYTES;
        if (headerCount == 0) {
            return new HandlerResponse(status, List.of(), body); // the list is shared: nothing more allocated
        }
        // the header array read in place when it lies in the call memory (a scratch buffer), else copied in
        // one read (the handler's own memory: one native read, not two per header); the names and values
        // into one array, decoded only when someone asks for them
        ByteBuffer table = arena.holds(headers, headerCount * HEADER_SIZE) ? null
                : ByteBuffer.wrap(arena.readBytes(headers, (int) (headerCount * HEADER_SIZE))).order(ByteOrder.nativeOrder());
        int[] lengths = new int[(int) headerCount * 2];
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            int at = i * BYTES_SIZE; // name, value, name, value: handler_bytes back to back
            long data = entry(arena, table, headers, at + BYTES_DATA);
            long length = entry(arena, table, headers, at + BYTES_LEN);
            checkRange(arena, data, length, "header");
            total += length;
            if (total > Integer.MAX_VALUE - 8) {
                throw broken("headers of more than 2 GiB");
            }
            lengths[i] = (int) length;
        }
        byte[] bytes = new byte[(int) total];
        int into = 0;
        for (int i = 0; i < lengths.length; i++) {
            long data = entry(arena, table, headers, i * BYTES_SIZE + BYTES_DATA);
            if (table == null) {
                checkRange(arena, data, lengths[i], "header"); // read twice in place: what is read is what was checked
            }
            arena.readInto(data, bytes, into, lengths[i]);
            into += lengths[i];
        }
        return HandlerResponse.withEncodedHeaders(status, bytes, lengths, body);
    }

    /** A 64-bit field of the header array: from its copy, or in place in the call memory. */
    private static long entry(CallArena arena, ByteBuffer copy, long headers, int offset) {
        return copy != null ? copy.getLong(offset) : arena.readLong(headers + offset);
    }

    /** The handler's error message: empty if it set none or an unreadable one, cut at 64 KiB. */
    private String errorMessage(CallArena arena) {
        long data = arena.responseLong(RESPONSE_ERROR_MESSAGE + BYTES_DATA);
        long length = arena.responseLong(RESPONSE_ERROR_MESSAGE + BYTES_LEN);
        if (data == 0 || length <= 0) {
            return "";
        }
        int shown = (int) Math.min(length, MAX_ERROR_MESSAGE);
        if (!arena.readable(data, shown)) {
            return "(its error_message points into the host's call memory outside resp->buffer: not shown)";
        }
        String message = new String(arena.readBytes(data, shown), StandardCharsets.UTF_8);
        return shown < length ? message + "... (" + (length - shown) + " more bytes)" : message;
    }

    private byte[] bytes(CallArena arena, long data, long length, String what) {
        checkRange(arena, data, length, what);
        return arena.readBytes(data, (int) length);
    }

    private void checkRange(CallArena arena, long data, long length, String what) {
        if (length < 0 || length > Integer.MAX_VALUE - 8 || (length > 0 && data == 0)) {
            throw broken(what + " of " + Long.toUnsignedString(length) + " bytes at 0x" + Long.toHexString(data));
        }
        if (!arena.readable(data, length)) {
            throw outsideBuffer(what, data, length);
        }
    }

    /** A range into the host's call memory that is not this call's scratch buffer or request bytes. */
    private HandlerException outsideBuffer(String what, long data, long length) {
        return broken(what + " of " + length + " bytes at 0x" + Long.toHexString(data) + " reaches into the"
                + " host's call memory outside resp->buffer: point into resp->buffer within"
                + " resp->buffer_capacity, into the request, or into memory the handler owns");
    }

    private HandlerException broken(String what) {
        return new HandlerException(endpointId, "handler for endpoint '" + endpointId + "' (" + source
                + ") returned an invalid response (" + what + "); fix the handler (see handler.h)");
    }

    private static NativeLibrary dlopen(String endpointId, Path file, String source, Path copy) {
        try {
            return NativeLibrary.getInstance(copy.toString(), Map.of(Library.OPTION_OPEN_FLAGS, openFlags()));
        } catch (UnsatisfiedLinkError e) {
            throw LoaderErrors.classify(endpointId, file, source, copy, e);
        }
    }

    /** RTLD_NOW | RTLD_LOCAL: unresolved symbols fail here, and versions never see each other's symbols. */
    private static int openFlags() {
        return Platform.isMac() ? 0x2 | 0x4 : 0x2; // RTLD_LOCAL is 0 on Linux, 4 on macOS
    }

    private static void checkAbiVersion(String endpointId, Path file, String source, NativeLibrary library) {
        if (!exports(library, "handler_abi_version")) {
            throw missingAbiVersion(endpointId, file, source);
        }
        int version = library.getFunction("handler_abi_version").invokeInt(new Object[0]);
        if (version != ABI_VERSION) {
            throw abiMismatch(endpointId, file, source, version);
        }
    }

    static HandlerLoadException missingAbiVersion(String endpointId, Path file, String source) {
        return new HandlerLoadException(endpointId, file, Reason.MISSING_EXPORT, "endpoint '" + endpointId
                + "': " + source + " does not export handler_abi_version, so it was not built against"
                + " handler.h: add HANDLER_DEFINE_ABI_VERSION() to one of its sources and rebuild");
    }

    static HandlerLoadException abiMismatch(String endpointId, Path file, String source, int version) {
        return new HandlerLoadException(endpointId, file, Reason.ABI_MISMATCH, "endpoint '" + endpointId
                + "': " + source + " was built for handler ABI version " + Integer.toUnsignedString(version)
                + ", but this registry speaks ABI version " + ABI_VERSION
                + ": rebuild it against this registry's handler.h");
    }

    static HandlerLoadException missingEntry(String endpointId, Path file, String source, Throwable cause) {
        return new HandlerLoadException(endpointId, file, Reason.MISSING_EXPORT, "endpoint '" + endpointId
                + "': " + source + " does not export handler_entry: define it with HANDLER_EXPORT"
                + " (see handler.h) and rebuild", cause);
    }

    static HandlerLoadException initFailed(String endpointId, Path file, String source, int code, String message) {
        return new HandlerLoadException(endpointId, file, Reason.INIT_FAILED, "endpoint '" + endpointId
                + "': handler_init of " + source + " failed with code " + code + ": " + message
                + "; the version that was serving (if any) keeps serving");
    }

    private static EntryPoint bindEntry(String endpointId, Path file, String source, DirectBindings bindings) {
        try {
            return bindings.entry();
        } catch (UnsatisfiedLinkError e) {
            throw missingEntry(endpointId, file, source, e);
        }
    }

    private static void init(String endpointId, Path file, String source, Function init, Memory idBytes) {
        byte[] path = source.getBytes(StandardCharsets.UTF_8);
        try (Memory args = new Memory(INIT_SIZE + Math.max(1, path.length))) {
            args.clear();
            args.setInt(INIT_SIZE_FIELD, INIT_SIZE);
            args.setInt(INIT_ABI_VERSION, ABI_VERSION);
            args.setLong(INIT_ENDPOINT_ID + BYTES_DATA, Pointer.nativeValue(idBytes));
            args.setLong(INIT_ENDPOINT_ID + BYTES_LEN, idBytes.size());
            args.write(INIT_SIZE, path, 0, path.length); // the path's bytes follow the struct
            args.setLong(INIT_LIBRARY_PATH + BYTES_DATA, Pointer.nativeValue(args) + INIT_SIZE);
            args.setLong(INIT_LIBRARY_PATH + BYTES_LEN, path.length);
            int code = init.invokeInt(new Object[] {args});
            if (code != 0) {
                long data = args.getLong(INIT_ERROR_MESSAGE + BYTES_DATA);
                long length = args.getLong(INIT_ERROR_MESSAGE + BYTES_LEN);
                String message = data == 0 || length <= 0 || length > 64 * 1024 ? "(no message)"
                        : new String(new Pointer(data).getByteArray(0, (int) length), StandardCharsets.UTF_8);
                throw initFailed(endpointId, file, source, code, message);
            }
        }
    }

    private static boolean exports(NativeLibrary library, String symbol) {
        try {
            library.getFunction(symbol);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static Memory utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(bytes.length);
        m.write(0, bytes, 0, bytes.length);
        return m;
    }
}
