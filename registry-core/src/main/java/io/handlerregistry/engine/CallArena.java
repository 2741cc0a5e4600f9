package io.handlerregistry.engine;

import static io.handlerregistry.engine.AbiLayout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;

/**
 * Per-thread native memory for one call at a time: the handler.h structs at fixed offsets, the
 * response scratch buffer, then the request's strings and body. Reused call after call (grown
 * when a request does not fit), so a call allocates no native memory and takes no lock.
 *
 * <p>Context and request are const for the handler (handler.h), so a field that holds the same
 * value as in the last call is not written again: each write to a direct buffer is checked, and
 * they were a good part of the registry's cost per call. The response is reset in full every call.
 */
final class CallArena {
    // where the structs sit in the arena (their fields: AbiLayout)
    static final int CONTEXT = 0;
    static final int REQUEST = 64;
    static final int RESPONSE = 144;
    // method, path and query of the last call, kept encoded: requests mostly reuse the same strings
    private static final int METHOD_SLOT = 224;
    private static final int PATH_SLOT = 256;
    private static final int QUERY_SLOT = 768;
    // the response's scratch buffer, then the request's strings and body
    private static final int SCRATCH = 1024;
    private static final int SCRATCH_SIZE = 16 * MIN_BUFFER; // 64 KiB
    private static final int DATA = SCRATCH + SCRATCH_SIZE;
    private static final int INITIAL_DATA_SIZE = 64 * 1024;

    private static final ThreadLocal<CallArena> PER_THREAD = ThreadLocal.withInitial(CallArena::new);
    // the response's size and status (200) as one 64-bit store: status follows size (RESPONSE_STATUS = 4)
    private static final long RESPONSE_SIZE_AND_STATUS = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? 200L << 32 | RESPONSE_SIZE : (long) RESPONSE_SIZE << 32 | 200;

    private Memory memory;
    private ByteBuffer buffer;
    private long base;
    private long end;
    private int position;
    // what the context and request hold from the last call
    private long lastEndpointId;
    private int lastEndpointIdLength;
    private int lastHeaderCount = -1;
    private final StringSlot method = new StringSlot(REQUEST + REQUEST_METHOD, METHOD_SLOT, PATH_SLOT - METHOD_SLOT);
    private final StringSlot path = new StringSlot(REQUEST + REQUEST_PATH, PATH_SLOT, QUERY_SLOT - PATH_SLOT);
    private final StringSlot query = new StringSlot(REQUEST + REQUEST_QUERY, QUERY_SLOT, SCRATCH - QUERY_SLOT);

    private CallArena() {
        allocate(DATA + INITIAL_DATA_SIZE);
    }

    static CallArena current() {
        return PER_THREAD.get();
    }

    long address(int offset) {
        return base + offset;
    }

    /** Lays out context, request and a fresh response; returns nothing, the structs sit at fixed offsets. */
    void prepare(long endpointId, int endpointIdLength, RequestContext context, HandlerRequest request) {
        List<Header> headers = request.headers();
        byte[] body = request.body();
        ensureData(headers.size() * HEADER_SIZE + maxEncoded(request) + body.length);
        ByteBuffer b = buffer;
        position = DATA;

        if (endpointId != lastEndpointId || endpointIdLength != lastEndpointIdLength) {
            b.putLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_DATA, endpointId);
            b.putLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_LEN, endpointIdLength);
            lastEndpointId = endpointId;
            lastEndpointIdLength = endpointIdLength;
        }
        b.putLong(CONTEXT + CONTEXT_REQUEST_ID, context.requestId());
        b.putLong(CONTEXT + CONTEXT_DEADLINE, context.deadlineUnixNanos());

        int headerCount = headers.size();
        int headerArray = position;
        position += headerCount * HEADER_SIZE;
        for (int i = 0; i < headerCount; i++) {
            Header h = headers.get(i);
            int at = headerArray + i * HEADER_SIZE;
            putString(at + HEADER_NAME, h.name());
            putString(at + HEADER_VALUE, h.value());
        }
        if (headerCount != lastHeaderCount) {
            b.putInt(REQUEST + REQUEST_HEADER_COUNT, headerCount);
            lastHeaderCount = headerCount;
        }
        method.put(request.method());
        path.put(request.path());
        query.put(request.query());
        b.putLong(REQUEST + REQUEST_HEADERS, base + headerArray);
        b.putLong(REQUEST + REQUEST_BODY + BYTES_DATA, base + position);
        b.putLong(REQUEST + REQUEST_BODY + BYTES_LEN, body.length);
        b.put(position, body);
        position += body.length;

        b.putLong(RESPONSE + RESPONSE_SIZE_FIELD, RESPONSE_SIZE_AND_STATUS);
        b.putLong(RESPONSE + RESPONSE_HEADER_COUNT, 0); // and reserved
        b.putLong(RESPONSE + RESPONSE_HEADERS, 0);
        b.putLong(RESPONSE + RESPONSE_BODY + BYTES_DATA, 0);
        b.putLong(RESPONSE + RESPONSE_BODY + BYTES_LEN, 0);
        b.putLong(RESPONSE + RESPONSE_ERROR_MESSAGE + BYTES_DATA, 0);
        b.putLong(RESPONSE + RESPONSE_ERROR_MESSAGE + BYTES_LEN, 0);
        b.putLong(RESPONSE + RESPONSE_BUFFER, base + SCRATCH);
        b.putLong(RESPONSE + RESPONSE_BUFFER_CAPACITY, SCRATCH_SIZE);
        b.putLong(RESPONSE + RESPONSE_RELEASE_DATA, 0);
    }

    /** A 32-bit field of the response (an offset of {@link AbiLayout}). */
    int responseInt(int field) {
        return buffer.getInt(RESPONSE + field);
    }

    /** A 64-bit field of the response (an offset of {@link AbiLayout}). */
    long responseLong(int field) {
        return buffer.getLong(RESPONSE + field);
    }

    /** Reads a 64-bit value at a native address, from the arena when it lies inside. */
    long readLong(long address) {
        if (address >= base && address + 8 <= end) {
            return buffer.getLong((int) (address - base));
        }
        return new Pointer(address).getLong(0);
    }

    /** Copies {@code length} bytes at a native address, from the arena when they lie inside. */
    byte[] readBytes(long address, int length) {
        byte[] out = new byte[length];
        if (length == 0) {
            return out;
        }
        if (address >= base && address + length <= end) {
            buffer.get((int) (address - base), out);
        } else {
            new Pointer(address).read(0, out, 0, length);
        }
        return out;
    }

    /** Writes a handler_bytes at {@code at} pointing to the string, encoded as UTF-8 in the data area. */
    private void putString(int at, String s) {
        int start = position;
        int n = s.length();
        ByteBuffer b = buffer;
        int i = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                break;
            }
            b.put(start + i, (byte) c);
        }
        int length = n;
        if (i < n) { // not ASCII
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            b.put(start, utf8);
            length = utf8.length;
        }
        position = start + length;
        b.putLong(at + BYTES_DATA, base + start);
        b.putLong(at + BYTES_LEN, length);
    }

    /**
     * One of the request's method, path and query, with a fixed region holding the last string
     * written through it. The same String instance again (strings are immutable) costs nothing
     * when the request field still points at the region; another one is encoded there if it fits,
     * else into the data area like header strings.
     */
    private final class StringSlot {
        private final int field;
        private final int offset;
        private final int capacity;
        private String last;
        private long length;
        private boolean fieldPointsHere;

        StringSlot(int field, int offset, int capacity) {
            this.field = field;
            this.offset = offset;
            this.capacity = capacity;
        }

        void put(String s) {
            if (s == last) {
                if (!fieldPointsHere) {
                    point();
                }
                return;
            }
            if (s.length() * 3 > capacity) {
                putString(field, s);
                fieldPointsHere = false;
                return;
            }
            int saved = position;
            position = offset;
            putString(field, s);
            length = position - offset;
            position = saved;
            last = s;
            fieldPointsHere = true;
        }

        private void point() {
            buffer.putLong(field + BYTES_DATA, base + offset);
            buffer.putLong(field + BYTES_LEN, length);
            fieldPointsHere = true;
        }

        void forget() {
            last = null;
            fieldPointsHere = false;
        }
    }

    private static int maxEncoded(HandlerRequest request) {
        long chars = request.method().length() + request.path().length() + request.query().length();
        for (Header h : request.headers()) {
            chars += h.name().length() + h.value().length();
        }
        return Math.toIntExact(chars * 3);
    }

    private void ensureData(int needed) {
        long size = (long) DATA + needed;
        if (size <= end - base) {
            return;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("request too large for one native call: " + needed + " bytes");
        }
        Memory old = memory;
        allocate((int) Math.min(Integer.MAX_VALUE - 8, Math.max(size, 2 * (end - base))));
        old.close();
    }

    /** New memory holds nothing of the last call: the fixed fields are written, the rest forgotten. */
    private void allocate(int size) {
        memory = new Memory(size);
        base = Pointer.nativeValue(memory);
        end = base + size;
        buffer = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        buffer.putInt(CONTEXT + CONTEXT_SIZE_FIELD, CONTEXT_SIZE);
        buffer.putInt(CONTEXT + CONTEXT_ABI_VERSION, ABI_VERSION);
        buffer.putInt(REQUEST + REQUEST_SIZE_FIELD, REQUEST_SIZE);
        lastEndpointId = 0;
        lastEndpointIdLength = 0;
        lastHeaderCount = -1;
        method.forget();
        path.forget();
        query.forget();
    }
}
