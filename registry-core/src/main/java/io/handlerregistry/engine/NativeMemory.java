package io.handlerregistry.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.Function;

import com.sun.jna.Pointer;

/**
 * Reads of native memory a handler's response points to outside the registry's call memory. With
 * {@code java.lang.foreign} in use (JDK 22+) they are plain memory copies the JIT inlines (through
 * constant method handles on an unbounded segment); otherwise each is a JNA read (a JNI call, some
 * 20 to 60 ns). Callers check the range first (see {@link CallArena#readable}): a pointer into
 * memory that is not mapped crashes the process either way.
 */
final class NativeMemory {
    /** (long address, Object byte[], int index, int length) void: copies native bytes into an array. */
    private static final MethodHandle COPY;
    /** (long address) long: an unaligned 64-bit read. */
    private static final MethodHandle READ_LONG;
    /** () Arena: a confined arena. */
    private static final MethodHandle NEW_ARENA;
    /** (long address, long length, Arena arena) ByteBuffer: a view of native memory, valid while the arena is open. */
    private static final MethodHandle VIEW;
    /** (Arena) void: closes the arena; its views throw from then on. */
    private static final MethodHandle CLOSE_ARENA;

    static {
        MethodHandle copy = null;
        MethodHandle readLong = null;
        MethodHandle newArena = null;
        MethodHandle view = null;
        MethodHandle closeArena = null;
        if (ForeignCalls.inUse()) {
            try {
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
                Class<?> ofLong = Class.forName("java.lang.foreign.ValueLayout$OfLong");
                Object javaByte = valueLayout.getField("JAVA_BYTE").get(null);
                Object javaLong = valueLayout.getField("JAVA_LONG_UNALIGNED").get(null);
                // every address: the NULL segment made as long as memory can be (a restricted method)
                Object all = segment.getMethod("reinterpret", long.class)
                        .invoke(segment.getField("NULL").get(null), Long.MAX_VALUE);
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                copy = MethodHandles.insertArguments(lookup.findStatic(segment, "copy", MethodType.methodType(
                        void.class, segment, valueLayout, long.class, Object.class, int.class, int.class)), 0, all,
                        javaByte);
                readLong = MethodHandles.insertArguments(lookup.findVirtual(segment, "get",
                        MethodType.methodType(long.class, ofLong, long.class)), 0, all, javaLong);
                Class<?> arena = Class.forName("java.lang.foreign.Arena");
                newArena = lookup.findStatic(arena, "ofConfined", MethodType.methodType(arena))
                        .asType(MethodType.methodType(Object.class));
                closeArena = lookup.findVirtual(arena, "close", MethodType.methodType(void.class))
                        .asType(MethodType.methodType(void.class, Object.class));
                // ofAddress(address).reinterpret(length, arena, null).asByteBuffer().asReadOnlyBuffer()
                MethodHandle ofAddress = lookup.findStatic(segment, "ofAddress", MethodType.methodType(segment,
                        long.class));
                // reinterpret is caller-sensitive (restricted): looked up with this class's full access
                MethodHandle reinterpret = MethodHandles.insertArguments(MethodHandles.lookup().findVirtual(segment,
                        "reinterpret",
                        MethodType.methodType(segment, long.class, arena, Consumer.class)), 3, (Object) null);
                MethodHandle asBuffer = lookup.findVirtual(segment, "asByteBuffer", MethodType.methodType(
                        ByteBuffer.class));
                MethodHandle readOnly = lookup.findVirtual(ByteBuffer.class, "asReadOnlyBuffer",
                        MethodType.methodType(ByteBuffer.class));
                view = MethodHandles.filterReturnValue(MethodHandles.filterReturnValue(
                        MethodHandles.filterArguments(reinterpret, 0, ofAddress), asBuffer), readOnly)
                        .asType(MethodType.methodType(ByteBuffer.class, long.class, long.class, Object.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                copy = null;
                readLong = null;
                newArena = null;
                view = null;
                closeArena = null;
            }
        }
        COPY = copy;
        READ_LONG = readLong;
        NEW_ARENA = newArena;
        VIEW = view;
        CLOSE_ARENA = closeArena;
    }

    private NativeMemory() {
    }

    /** Copies {@code length} bytes at {@code address} into {@code into} from {@code index}. */
    static void read(long address, byte[] into, int index, int length) {
        if (COPY == null) {
            new Pointer(address).read(0, into, index, length);
            return;
        }
        try {
            COPY.invokeExact(address, (Object) into, index, length);
        } catch (Throwable e) {
            throw Unchecked.of(e);
        }
    }

    /**
     * True where {@link #view} can hand out a view of native memory that stops working when the
     * reader returns (JDK 22+: a segment of a confined arena, closed afterwards). Before, a view
     * (a direct ByteBuffer) would read freed memory if kept: copies are handed out instead.
     */
    static boolean viewsRevocable() {
        return VIEW != null;
    }

    /**
     * Calls {@code reader} with a read-only view of {@code length} bytes at {@code address}; once it
     * returns, the view throws on every access. Only where {@link #viewsRevocable()}.
     */
    static <T> T view(long address, long length, Function<ByteBuffer, T> reader) {
        if (length == 0) {
            return reader.apply(ByteBuffer.allocate(0).asReadOnlyBuffer()); // nothing to revoke
        }
        try {
            Object arena = NEW_ARENA.invokeExact();
            try {
                return reader.apply((ByteBuffer) VIEW.invokeExact(address, length, arena));
            } finally {
                CLOSE_ARENA.invokeExact(arena);
            }
        } catch (Throwable e) {
            throw Unchecked.of(e); // the reader's exceptions pass as they are
        }
    }

    /** The 64-bit value at {@code address}. */
    static long readLong(long address) {
        if (READ_LONG == null) {
            return new Pointer(address).getLong(0);
        }
        try {
            return (long) READ_LONG.invokeExact(address);
        } catch (Throwable e) {
            throw Unchecked.of(e);
        }
    }
}
