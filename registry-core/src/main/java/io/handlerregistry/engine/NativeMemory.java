package io.handlerregistry.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

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

    static {
        MethodHandle copy = null;
        MethodHandle readLong = null;
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
            } catch (ReflectiveOperationException | RuntimeException e) {
                copy = null;
                readLong = null;
            }
        }
        COPY = copy;
        READ_LONG = readLong;
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
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The 64-bit value at {@code address}. */
    static long readLong(long address) {
        if (READ_LONG == null) {
            return new Pointer(address).getLong(0);
        }
        try {
            return (long) READ_LONG.invokeExact(address);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
