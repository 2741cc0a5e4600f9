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
    /** Bytes kept free before and after {@link #fixed}'s content: two cache lines. */
    private static final int PAD = 128;

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
    /**
     * What offsets 0 to {@link #fixedLength} hold at each call, out of the handler's reach, from
     * index {@link #PAD}. Written on every call, so it is padded on both sides: a collector that
     * moves two threads' arenas next to each other must not put their writes on one cache line.
     */
    private final byte[] fixed = new byte[PAD + SCRATCH + PAD];
    private int fixedLength;
    // the strings laid out in fixed (equal ones come again and again: they are not encoded again)
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
        CallArena arena = PER_THREAD.get();
        if (arena == null) { // lent (see lend): this thread's calls meanwhile get another
            arena = new CallArena();
            PER_THREAD.set(arena);
        }
        return arena;
    }

    /**
     * Lends this thread's arena to a response being read (see NativeHandler#read): until
     * {@link #giveBack}, calls on this thread get another arena, so that the response stays as it is.
     */
    static CallArena lend() {
        CallArena lent = PER_THREAD.get();
        PER_THREAD.set(null);
        return lent;
    }

    /** Ends {@link #lend()}: the arena used meanwhile, if any, is freed. */
    static void giveBack(CallArena lent) {
        CallArena meanwhile = PER_THREAD.get();
        PER_THREAD.set(lent);
        if (meanwhile != null) {
            meanwhile.memory.close();
        }
    }

    long address(int offset) {
        return base + offset;
    }

    /**
     * Lays out context, request and a fresh response; returns nothing, the structs sit at fixed
     * offsets. Writes no field of this object: the call path writes only memory no other thread's
     * writes share a cache line with (see {@link #fixed}).
     */
    void prepare(long endpointId, int endpointIdLength, RequestContext context, HandlerRequest request) {
        List<Header> headers = request.headers();
        byte[] body = request.body();
        ensureData(headers.size() * HEADER_SIZE + maxEncoded(request) + body.length);
        int position = DATA;
        // equal, not only the same instances: a front makes a new path string for every request of the same path
        if (!request.method().equals(method) || !request.path().equals(path) || !request.query().equals(query)) {
            layOutStrings(request.method(), request.path(), request.query());
        }
        if (fixedLength == STRINGS) { // too long to keep: into the data area, this call only
            position = putRequestString(REQUEST + REQUEST_METHOD, methodBytes, position);
            position = putRequestString(REQUEST + REQUEST_PATH, pathBytes, position);
            position = putRequestString(REQUEST + REQUEST_QUERY, queryBytes, position);
        }
        setLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_DATA, endpointId);
        setLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_LEN, endpointIdLength);
        setLong(CONTEXT + CONTEXT_REQUEST_ID, context.requestId());
        setLong(CONTEXT + CONTEXT_DEADLINE, context.deadlineUnixNanos());

        int headerCount = headers.size();
        int headerArray = position;
        position += headerCount * HEADER_SIZE;
        for (int i = 0; i < headerCount; i++) {
            Header h = headers.get(i);
            int at = headerArray + i * HEADER_SIZE;
            position = putString(at + HEADER_NAME, h.name(), position);
            position = putString(at + HEADER_VALUE, h.value(), position);
        }
        setInt(REQUEST + REQUEST_HEADER_COUNT, headerCount);
        setLong(REQUEST + REQUEST_HEADERS, base + headerArray);
        setLong(REQUEST + REQUEST_BODY + BYTES_DATA, base + position);
        setLong(REQUEST + REQUEST_BODY + BYTES_LEN, body.length);
        buffer.put(position, body);
        // context, request, a fresh response and the request's strings: one copy from Java memory
        buffer.put(0, fixed, PAD, fixedLength);
    }

    /**
     * Lays the request's method, path and query out after the structs in {@link #fixed}, where
     * they stay while requests bring the same strings; strings too long for that room go
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
        System.arraycopy(bytes, 0, fixed, PAD + at, bytes.length);
        setLong(field + BYTES_DATA, base + at);
        setLong(field + BYTES_LEN, bytes.length);
        return at + bytes.length;
    }

    /** Puts a request string into the data area at {@code position}; returns where the next goes. */
    private int putRequestString(int field, byte[] bytes, int position) {
        buffer.put(position, bytes);
        setLong(field + BYTES_DATA, base + position);
        setLong(field + BYTES_LEN, bytes.length);
        return position + bytes.length;
    }

    /** A 64-bit field of what {@link #prepare} copies into the structs (an arena offset). */
    private void setLong(int offset, long value) {
        LONGS.set(fixed, PAD + offset, value);
    }

    /** A 32-bit field of what {@link #prepare} copies into the structs (an arena offset). */
    private void setInt(int offset, int value) {
        INTS.set(fixed, PAD + offset, value);
    }

    private long fixedLong(int offset) {
        return (long) LONGS.get(fixed, PAD + offset);
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
        // this call's data area ends with the request body (the copy in Java memory says where)
        long dataEnd = fixedLong(REQUEST + REQUEST_BODY + BYTES_DATA) + fixedLong(REQUEST + REQUEST_BODY + BYTES_LEN);
        return within(address, length, SCRATCH, SCRATCH + SCRATCH_SIZE)
                || address >= base + DATA && address + length <= dataEnd
                || within(address, length, STRINGS, fixedLength);
    }

    private boolean within(long address, long length, int from, int to) {
        return address >= base + from && address + length <= base + to;
    }

    /** Whether a native range lies inside this memory: read from its buffer, no native read. */
    boolean holds(long address, long length) {
        return address >= base && address + length <= end;
    }

    /** Reads a 64-bit value at a native address, from the arena when it lies inside. */
    long readLong(long address) {
        if (holds(address, 8)) {
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
        if (holds(address, length)) {
            buffer.get((int) (address - base), into, index, length);
        } else {
            NativeMemory.read(address, into, index, length);
        }
    }

    /**
     * Writes a handler_bytes at {@code at} pointing to the string, encoded as UTF-8 in the data area
     * at {@code start}; returns where the next goes.
     */
    private int putString(int at, String s, int start) {
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
        b.putLong(at + BYTES_DATA, base + start);
        b.putLong(at + BYTES_LEN, length);
        return start + length;
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
        setInt(CONTEXT + CONTEXT_SIZE_FIELD, CONTEXT_SIZE);
        setInt(CONTEXT + CONTEXT_ABI_VERSION, ABI_VERSION);
        setInt(REQUEST + REQUEST_SIZE_FIELD, REQUEST_SIZE);
        setLong(RESPONSE + RESPONSE_SIZE_FIELD, RESPONSE_SIZE_AND_STATUS); // the rest of it stays 0
        setLong(RESPONSE + RESPONSE_BUFFER, base + SCRATCH);
        setLong(RESPONSE + RESPONSE_BUFFER_CAPACITY, SCRATCH_SIZE);
        method = null; // strings point into the old memory
        path = null;
        query = null;
        fixedLength = STRINGS;
    }
}
