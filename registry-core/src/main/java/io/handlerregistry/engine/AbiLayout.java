package io.handlerregistry.engine;

/**
 * The layout of handler.h's structs (64-bit): every offset and size the Java side reads or writes,
 * defined here and nowhere else. handler.h asserts each of them, and a test compares them with
 * what gcc computes for handler.h ({@code src/test/native/layout_probe.c}). Public for the
 * benchmarks' raw baseline call; not an exported API.
 */
public final class AbiLayout {
    /** HANDLER_ABI_VERSION: the major version of the contract this registry speaks. */
    public static final int ABI_VERSION = 1;
    /** HANDLER_MIN_BUFFER: the response buffer is never smaller. */
    public static final int MIN_BUFFER = 4096;

    /** handler_bytes: a pointer and a length. */
    public static final int BYTES_DATA = 0;
    public static final int BYTES_LEN = 8;
    public static final int BYTES_SIZE = 16;

    /** handler_header: two handler_bytes. */
    public static final int HEADER_NAME = 0;
    public static final int HEADER_VALUE = 16;
    public static final int HEADER_SIZE = 32;

    public static final int CONTEXT_SIZE_FIELD = 0;
    public static final int CONTEXT_ABI_VERSION = 4;
    public static final int CONTEXT_ENDPOINT_ID = 8;
    public static final int CONTEXT_REQUEST_ID = 24;
    public static final int CONTEXT_DEADLINE = 32;
    public static final int CONTEXT_SIZE = 40;

    public static final int REQUEST_SIZE_FIELD = 0;
    public static final int REQUEST_HEADER_COUNT = 4;
    public static final int REQUEST_METHOD = 8;
    public static final int REQUEST_PATH = 24;
    public static final int REQUEST_QUERY = 40;
    public static final int REQUEST_HEADERS = 56;
    public static final int REQUEST_BODY = 64;
    public static final int REQUEST_SIZE = 80;

    public static final int RESPONSE_SIZE_FIELD = 0;
    public static final int RESPONSE_STATUS = 4;
    public static final int RESPONSE_HEADER_COUNT = 8;
    public static final int RESPONSE_RESERVED = 12;
    public static final int RESPONSE_HEADERS = 16;
    public static final int RESPONSE_BODY = 24;
    public static final int RESPONSE_ERROR_MESSAGE = 40;
    public static final int RESPONSE_BUFFER = 56;
    public static final int RESPONSE_BUFFER_CAPACITY = 64;
    public static final int RESPONSE_RELEASE_DATA = 72;
    public static final int RESPONSE_SIZE = 80;

    public static final int INIT_SIZE_FIELD = 0;
    public static final int INIT_ABI_VERSION = 4;
    public static final int INIT_ENDPOINT_ID = 8;
    public static final int INIT_LIBRARY_PATH = 24;
    public static final int INIT_ERROR_MESSAGE = 40;
    public static final int INIT_SIZE = 56;

    private AbiLayout() {
    }
}
