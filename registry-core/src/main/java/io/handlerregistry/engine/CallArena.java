package io.handlerregistry.engine;

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
    // handler.h layout (64-bit), see the static asserts there
    static final int CONTEXT = 0;
    static final int CONTEXT_SIZE = 40;
    static final int REQUEST = 64;
    static final int REQUEST_SIZE = 80;
    static final int RESPONSE = 144;
    static final int RESPONSE_SIZE = 80;
    static final int HEADER_SIZE = 32;
    // method, path and query of the last call, kept encoded: requests mostly reuse the same strings
    private static final int METHOD_SLOT = 224;
    private static final int PATH_SLOT = 256;
    private static final int QUERY_SLOT = 768;
    static final int RESPONSE_BUFFER = 1024;
    static final int RESPONSE_BUFFER_SIZE = 64 * 1024;
    private static final int DATA = RESPONSE_BUFFER + RESPONSE_BUFFER_SIZE;
    private static final int INITIAL_DATA_SIZE = 64 * 1024;

    private static final ThreadLocal<CallArena> PER_THREAD = ThreadLocal.withInitial(CallArena::new);
    // the response's size and status (200) as one 64-bit store
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
    private final StringSlot method = new StringSlot(REQUEST + 8, METHOD_SLOT, PATH_SLOT - METHOD_SLOT);
    private final StringSlot path = new StringSlot(REQUEST + 24, PATH_SLOT, QUERY_SLOT - PATH_SLOT);
    private final StringSlot query = new StringSlot(REQUEST + 40, QUERY_SLOT, RESPONSE_BUFFER - QUERY_SLOT);

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
            b.putLong(CONTEXT + 8, endpointId);
            b.putLong(CONTEXT + 16, endpointIdLength);
            lastEndpointId = endpointId;
            lastEndpointIdLength = endpointIdLength;
        }
        b.putLong(CONTEXT + 24, context.requestId());
        b.putLong(CONTEXT + 32, context.deadlineUnixNanos());

        int headerCount = headers.size();
        int headerArray = position;
        position += headerCount * HEADER_SIZE;
        for (int i = 0; i < headerCount; i++) {
            Header h = headers.get(i);
            int at = headerArray + i * HEADER_SIZE;
            putString(at, h.name());
            putString(at + 16, h.value());
        }
        if (headerCount != lastHeaderCount) {
            b.putInt(REQUEST + 4, headerCount);
            lastHeaderCount = headerCount;
        }
        method.put(request.method());
        path.put(request.path());
        query.put(request.query());
        b.putLong(REQUEST + 56, base + headerArray);
        b.putLong(REQUEST + 64, base + position);
        b.putLong(REQUEST + 72, body.length);
        b.put(position, body);
        position += body.length;

        b.putLong(RESPONSE, RESPONSE_SIZE_AND_STATUS);
        b.putLong(RESPONSE + 8, 0); // header_count, reserved
        b.putLong(RESPONSE + 16, 0); // headers
        b.putLong(RESPONSE + 24, 0); // body
        b.putLong(RESPONSE + 32, 0);
        b.putLong(RESPONSE + 40, 0); // error_message
        b.putLong(RESPONSE + 48, 0);
        b.putLong(RESPONSE + 56, base + RESPONSE_BUFFER);
        b.putLong(RESPONSE + 64, RESPONSE_BUFFER_SIZE);
        b.putLong(RESPONSE + 72, 0); // release_data
    }

    int getInt(int offset) {
        return buffer.getInt(offset);
    }

    long getLong(int offset) {
        return buffer.getLong(offset);
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
        b.putLong(at, base + start);
        b.putLong(at + 8, length);
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
            buffer.putLong(field, base + offset);
            buffer.putLong(field + 8, length);
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
        buffer.putInt(CONTEXT, CONTEXT_SIZE);
        buffer.putInt(CONTEXT + 4, NativeHandler.ABI_VERSION);
        buffer.putInt(REQUEST, REQUEST_SIZE);
        lastEndpointId = 0;
        lastEndpointIdLength = 0;
        lastHeaderCount = -1;
        method.forget();
        path.forget();
        query.forget();
    }
}
