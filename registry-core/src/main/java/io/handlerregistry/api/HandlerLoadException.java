package io.handlerregistry.api;

import java.nio.file.Path;

/**
 * A library could not be loaded for an endpoint. Nothing changed: the version that was serving
 * the endpoint (if any) keeps serving.
 */
public final class HandlerLoadException extends HandlerException {
    private static final long serialVersionUID = 1L;

    /** Why a load was refused. */
    public enum Reason {
        /** The file does not exist or is not a readable regular file. */
        FILE_NOT_FOUND,
        /** The file is shorter than its own headers say: a copy still in progress, or truncated. */
        INCOMPLETE_FILE,
        /** The file changed while the registry copied it. */
        FILE_CHANGED,
        /** The file is not a shared library for this platform. */
        NOT_A_LIBRARY,
        /** The library was built for another CPU architecture or word size. */
        WRONG_ARCHITECTURE,
        /** A library the handler depends on was not found. */
        MISSING_DEPENDENCY,
        /** The library uses a symbol nothing defines. */
        UNRESOLVED_SYMBOL,
        /** A required export ({@code handler_entry}, {@code handler_abi_version}) is missing. */
        MISSING_EXPORT,
        /** The library was built for another version of {@code handler.h}. */
        ABI_MISMATCH,
        /**
         * The library defines symbols the platform loader shares between every library that defines
         * them (C++ {@code STB_GNU_UNIQUE}): its versions would share state and never unload.
         */
        SHARED_SYMBOLS,
        /** {@code handler_init} returned non-zero. */
        INIT_FAILED,
        /** {@code handler_init} did not return within the registry's init timeout. */
        INIT_TIMEOUT,
        /**
         * The endpoint already has a version loaded ({@code load} does not replace; swap does), or a
         * rollback asked for the library that serves already.
         */
        ALREADY_LOADED,
        /**
         * A load, swap or unload of the same endpoint asked for later took effect first (while this
         * one's library was still loading): loads, swaps and unloads of one endpoint take effect in the
         * order they were asked for, so this one's version was discarded.
         */
        SUPERSEDED,
        /**
         * Process isolation was asked for where it is not available (it is built for Linux), or its
         * worker program could not be started.
         */
        ISOLATION_UNAVAILABLE,
        /**
         * A rollback asked for a version the endpoint's history does not hold, or holds without its
         * library (a handler written in Java), or there is no earlier version to go back to.
         */
        NOT_IN_HISTORY,
        /**
         * A canary split asked for an endpoint that is not loaded: there is no version to share its calls with.
         *
         * @since 1.2
         */
        NOT_LOADED,
        /**
         * A promote or abort asked for an endpoint that has no canary split (any more: a swap, rollback or
         * unload of the endpoint ends its split).
         *
         * @since 1.2
         */
        NO_SPLIT,
        /** Any other failure of the platform's loader or file system. */
        LOAD_FAILED
    }

    private final Reason reason;
    private final Path file;

    public HandlerLoadException(String endpointId, Path file, Reason reason, String message, Throwable cause) {
        super(endpointId, message, cause);
        this.reason = reason;
        this.file = file;
    }

    public HandlerLoadException(String endpointId, Path file, Reason reason, String message) {
        this(endpointId, file, reason, message, null);
    }

    public Reason reason() {
        return reason;
    }

    /** The library file the load was asked for. */
    public Path file() {
        return file;
    }
}
