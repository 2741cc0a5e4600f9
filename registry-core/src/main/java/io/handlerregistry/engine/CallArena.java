package io.handlerregistry.engine;

import static io.handlerregistry.engine.AbiLayout.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * <p>Every call writes the context and request whole: they are const for the handler, but a
 * handler can write them all the same (decode its path in place), and a field kept from the last
 * call would then carry one handler's change into the next call, to another endpoint. What a
 * response points to inside this memory is checked ({@link #readable}): only this call's scratch
 * buffer and request bytes may be read back, never the structs or an earlier call's bytes.
 */
final class CallArena {
    // where the structs sit in the arena (their fields: AbiLayout)
    static final int CONTEXT = 0;
    static final int REQUEST = 64;
    static final int RESPONSE = 144;
    // the request's method, path and query, after the structs
    private static final int STRINGS = RESPONSE + RESPONSE_SIZE;
    // the response's scratch buffer, then the request's strings and body
    private static final int SCRATCH = 1024;
    private static final int SCRATCH_SIZE = 16 * MIN_BUFFER; // 64 KiB
    private static final int DATA = SCRATCH + SCRATCH_SIZE;
    private static final int INITIAL_DATA_SIZE = 64 * 1024;
    /** Memory grown past this for a large call is given back after it. */
    private static final int KEPT_SIZE = 1024 * 1024;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final ThreadLocal<CallArena> PER_THREAD = ThreadLocal.withInitial(CallArena::new);
    // the response's size and status (200) as one 64-bit store: status follows size (RESPONSE_STATUS = 4)
    private static final long RESPONSE_SIZE_AND_STATUS = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? 200L << 32 | RESPONSE_SIZE : (long) RESPONSE_SIZE << 32 | 200;

    private Memory memory;
    private ByteBuffer buffer;
    private long base;
    private long end;
    private int position;
    /** What offsets 0 to {@link #fixedLength} hold at each call: out of the handler's reach. */
    private final byte[] fixed = new byte[SCRATCH];
    private int fixedLength;
    // the strings laid out in fixed (the same instances come again: they are not encoded again)
    private String method;
    private String path;
    private String query;
    private byte[] methodBytes;
    private byte[] pathBytes;
    private byte[] queryBytes;

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
        byte[] f = fixed;
        position = DATA;
        if (request.method() != method || request.path() != path || request.query() != query) {
            layOutStrings(request.method(), request.path(), request.query());
        }
        if (fixedLength == STRINGS) { // too long to keep: into the data area, this call only
            putRequestString(REQUEST + REQUEST_METHOD, methodBytes);
            putRequestString(REQUEST + REQUEST_PATH, pathBytes);
            putRequestString(REQUEST + REQUEST_QUERY, queryBytes);
        }
        LONGS.set(f, CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_DATA, endpointId);
        LONGS.set(f, CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_LEN, (long) endpointIdLength);
        LONGS.set(f, CONTEXT + CONTEXT_REQUEST_ID, context.requestId());
        LONGS.set(f, CONTEXT + CONTEXT_DEADLINE, context.deadlineUnixNanos());

        int headerCount = headers.size();
        int headerArray = position;
        position += headerCount * HEADER_SIZE;
        for (int i = 0; i < headerCount; i++) {
            Header h = headers.get(i);
            int at = headerArray + i * HEADER_SIZE;
            putString(at + HEADER_NAME, h.name());
            putString(at + HEADER_VALUE, h.value());
        }
        INTS.set(f, REQUEST + REQUEST_HEADER_COUNT, headerCount);
        LONGS.set(f, REQUEST + REQUEST_HEADERS, base + headerArray);
        LONGS.set(f, REQUEST + REQUEST_BODY + BYTES_DATA, base + position);
        LONGS.set(f, REQUEST + REQUEST_BODY + BYTES_LEN, (long) body.length);
        buffer.put(position, body);
        position += body.length;
        // context, request, a fresh response and the request's strings: one copy from Java memory
        buffer.put(0, f, 0, fixedLength);
    }

    /**
     * Lays the request's method, path and query out after the structs in {@link #fixed}, where
     * they stay while requests bring the same String instances; strings too long for that room go
     * to the data area at each call instead.
     */
    private void layOutStrings(String m, String p, String q) {
        method = m;
        path = p;
        query = q;
        methodBytes = m.getBytes(StandardCharsets.UTF_8);
        pathBytes = p.getBytes(StandardCharsets.UTF_8);
        queryBytes = q.getBytes(StandardCharsets.UTF_8);
        if (STRINGS + methodBytes.length + pathBytes.length + queryBytes.length > SCRATCH) {
            fixedLength = STRINGS;
            return;
        }
        int at = STRINGS;
        at = layOut(REQUEST + REQUEST_METHOD, methodBytes, at);
        at = layOut(REQUEST + REQUEST_PATH, pathBytes, at);
        fixedLength = layOut(REQUEST + REQUEST_QUERY, queryBytes, at);
    }

    private int layOut(int field, byte[] bytes, int at) {
        System.arraycopy(bytes, 0, fixed, at, bytes.length);
        LONGS.set(fixed, field + BYTES_DATA, base + at);
        LONGS.set(fixed, field + BYTES_LEN, (long) bytes.length);
        return at + bytes.length;
    }

    private void putRequestString(int field, byte[] bytes) {
        buffer.put(position, bytes);
        LONGS.set(fixed, field + BYTES_DATA, base + position);
        LONGS.set(fixed, field + BYTES_LEN, (long) bytes.length);
        position += bytes.length;
    }

    /** A 32-bit field of the response (an offset of {@link AbiLayout}). */
    int responseInt(int field) {
        return buffer.getInt(RESPONSE + field);
    }

    /** A 64-bit field of the response (an offset of {@link AbiLayout}). */
    long responseLong(int field) {
        return buffer.getLong(RESPONSE + field);
    }

    /**
     * Whether a range a response points to may be read: anything outside this memory (the
     * handler's own), or inside it wholly within this call's scratch buffer or request bytes. A
     * range that touches the structs, or bytes an earlier call left, is refused: it would hand one
     * caller another call's data.
     */
    boolean readable(long address, long length) {
        if (length == 0 || address >= end || address + length <= base) {
            return true;
        }
        return within(address, length, SCRATCH, SCRATCH + SCRATCH_SIZE) || within(address, length, DATA, position)
                || within(address, length, STRINGS, fixedLength);
    }

    private boolean within(long address, long length, int from, int to) {
        return address >= base + from && address + length <= base + to;
    }

    /** Reads a 64-bit value at a native address, from the arena when it lies inside. */
    long readLong(long address) {
        if (address >= base && address + 8 <= end) {
            return buffer.getLong((int) (address - base));
        }
        return NativeMemory.readLong(address);
    }

    /** Copies {@code length} bytes at a native address, from the arena when they lie inside. */
    byte[] readBytes(long address, int length) {
        byte[] out = new byte[length];
        readInto(address, out, 0, length);
        return out;
    }

    /** Copies {@code length} bytes at a native address into {@code into} from {@code index}. */
    void readInto(long address, byte[] into, int index, int length) {
        if (length == 0) {
            return;
        }
        if (address >= base && address + length <= end) {
            buffer.get((int) (address - base), into, index, length);
        } else {
            NativeMemory.read(address, into, index, length);
        }
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

    private static int maxEncoded(HandlerRequest request) {
        long chars = request.method().length() + request.path().length() + request.query().length();
        for (Header h : request.headers()) {
            chars += h.name().length() + h.value().length();
        }
        return Math.toIntExact(chars * 3);
    }

    /** Bytes of native memory this thread holds for its calls. */
    long capacity() {
        return end - base;
    }

    /** After a call: memory grown for a large request goes back to its first size. */
    void shrinkIfGrown() {
        if (end - base > KEPT_SIZE) {
            Memory old = memory;
            allocate(DATA + INITIAL_DATA_SIZE);
            old.close();
        }
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

    /** New memory: the fixed part is laid out again for its address. */
    private void allocate(int size) {
        memory = new Memory(size);
        base = Pointer.nativeValue(memory);
        end = base + size;
        buffer = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        byte[] f = fixed;
        INTS.set(f, CONTEXT + CONTEXT_SIZE_FIELD, CONTEXT_SIZE);
        INTS.set(f, CONTEXT + CONTEXT_ABI_VERSION, ABI_VERSION);
        INTS.set(f, REQUEST + REQUEST_SIZE_FIELD, REQUEST_SIZE);
        LONGS.set(f, RESPONSE + RESPONSE_SIZE_FIELD, RESPONSE_SIZE_AND_STATUS); // the rest of it stays 0
        LONGS.set(f, RESPONSE + RESPONSE_BUFFER, base + SCRATCH);
        LONGS.set(f, RESPONSE + RESPONSE_BUFFER_CAPACITY, (long) SCRATCH_SIZE);
        method = null; // strings point into the old memory
        path = null;
        query = null;
        fixedLength = STRINGS;
    }
}
