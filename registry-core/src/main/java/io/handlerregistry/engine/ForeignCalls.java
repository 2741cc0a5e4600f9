package io.handlerregistry.engine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;

/**
 * The call path of JDK 22 and later: {@code handler_entry} and {@code handler_release} called through
 * {@code java.lang.foreign} downcall handles, bound to the symbol addresses JNA resolved (JNA still
 * loads the library, with the same flags, and closes it: loading and unloading stay in one place).
 * The bare call costs about 9 ns there against JNA's 79 (measured for issue 14; BENCHMARKS.md,
 * section 8, has the registry on both paths against their floors).
 *
 * <p>The registry is compiled for JDK 17, where {@code java.lang.foreign} is not final: the handles
 * are made through reflection once per version, and called with {@link MethodHandle#invokeExact},
 * which needs no compile-time knowledge of the API. Arguments are plain {@code long} addresses of
 * the per-thread call memory ({@code JAVA_LONG}, which the C ABI passes like a pointer).
 *
 * <p>Chosen at run time: on JDK 22+ unless the system property {@value #PROPERTY} is {@code jna}.
 */
final class ForeignCalls {
    /** {@code jna} keeps JNA's call path on JDK 22+ as well. */
    static final String PROPERTY = "io.handlerregistry.calls";
    private static final Logger LOG = System.getLogger(ForeignCalls.class.getName());
    private static final Binder BINDER = Binder.create();

    private ForeignCalls() {
    }

    /** True if calls go through {@code java.lang.foreign} in this JVM. */
    static boolean inUse() {
        return BINDER != null;
    }

    /** How this JVM calls native code, for people: "java.lang.foreign (JDK 25)" or "JNA 5.19.1 (JDK 17)". */
    static String description() {
        return (inUse() ? "java.lang.foreign" : "JNA " + com.sun.jna.Native.VERSION) + " (JDK "
                + Runtime.version().feature() + ")";
    }

    /** {@code int handler_entry(ctx, req, resp)} at this address. */
    static EntryPoint entry(long address) {
        MethodHandle handle = BINDER.bind(address, BINDER.entry);
        return (context, request, response) -> {
            try {
                return (int) handle.invokeExact(context, request, response);
            } catch (Throwable e) {
                throw Unchecked.of(e); // a downcall declares no checked exception
            }
        };
    }

    /** {@code void handler_release(resp)} at this address. */
    static ReleasePoint release(long address) {
        MethodHandle handle = BINDER.bind(address, BINDER.release);
        return response -> {
            try {
                handle.invokeExact(response);
            } catch (Throwable e) {
                throw Unchecked.of(e);
            }
        };
    }

    /** What makes downcall handles, found once. */
    private static final class Binder {
        private final Object linker;
        private final Method downcallHandle;
        private final Method ofAddress;
        private final Object noOptions;
        final Object entry; // FunctionDescriptor (JAVA_LONG, JAVA_LONG, JAVA_LONG) -> JAVA_INT
        final Object release; // FunctionDescriptor (JAVA_LONG) -> void

        private Binder(Object linker, Method downcallHandle, Method ofAddress, Object noOptions, Object entry,
                Object release) {
            this.linker = linker;
            this.downcallHandle = downcallHandle;
            this.ofAddress = ofAddress;
            this.noOptions = noOptions;
            this.entry = entry;
            this.release = release;
        }

        /** The binder of this JVM, or null where JNA's path is used. */
        static Binder create() {
            if (Runtime.version().feature() < 22 || "jna".equalsIgnoreCase(System.getProperty(PROPERTY, ""))) {
                return null;
            }
            try {
                Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> layout = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
                Class<?> descriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> option = Class.forName("java.lang.foreign.Linker$Option");
                Object javaInt = valueLayout.getField("JAVA_INT").get(null);
                Object javaLong = valueLayout.getField("JAVA_LONG").get(null);
                Class<?> layouts = layout.arrayType();
                Object entry = descriptor.getMethod("of", layout, layouts).invoke(null, javaInt,
                        layouts(layout, javaLong, javaLong, javaLong));
                Object release = descriptor.getMethod("ofVoid", layouts).invoke(null, layouts(layout, javaLong));
                Binder binder = new Binder(linkerType.getMethod("nativeLinker").invoke(null),
                        linkerType.getMethod("downcallHandle", segment, descriptor, option.arrayType()),
                        segment.getMethod("ofAddress", long.class), Array.newInstance(option, 0), entry, release);
                return binder;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "java.lang.foreign is not usable in JDK " + Runtime.version()
                        + ": native calls go through JNA instead (" + e + ")");
                return null;
            }
        }

        private static Object layouts(Class<?> layout, Object... values) {
            Object array = Array.newInstance(layout, values.length);
            for (int i = 0; i < values.length; i++) {
                Array.set(array, i, values[i]);
            }
            return array;
        }

        MethodHandle bind(long address, Object descriptor) {
            try {
                return (MethodHandle) downcallHandle.invoke(linker, ofAddress.invoke(null, address), descriptor,
                        noOptions);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot bind a downcall to 0x" + Long.toHexString(address), e);
            }
        }
    }
}
