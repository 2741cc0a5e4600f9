package io.handlerregistry.benchmarks;

import static io.handlerregistry.engine.AbiLayout.*;

import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The raw JNA call the registry is measured against: {@code handler_entry} bound by JNA direct
 * mapping with long (address) arguments, exactly the binding the registry uses, with what any
 * caller must do around it and nothing else: write the body into reused native memory, call, copy
 * the response body into a new array (response headers are not read). One instance per thread.
 */
final class RawCall implements AutoCloseable {
    // where the structs sit in this memory (their fields: the registry's AbiLayout)
    private static final int CONTEXT = 0;
    private static final int REQUEST = 64;
    private static final int RESPONSE = 144;
    private static final int BUFFER = 256;
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final int DATA = BUFFER + BUFFER_SIZE;

    /** Direct mapping of the noop library. */
    static final class Noop {
        static native int handler_entry(long context, long request, long response);
    }

    /** Direct mapping of the echo_body library. */
    static final class Echo {
        static native int handler_entry(long context, long request, long response);
    }

    /** Direct mapping of the example echo library (6 response headers). */
    static final class ExampleEcho {
        static native int handler_entry(long context, long request, long response);
    }

    /**
     * echo_body's {@code handler_entry} as a {@code java.lang.foreign} downcall in a static final field
     * (a constant the JIT inlines: the floor of a call from Java), JDK 22+ only; made by reflection,
     * as this code is compiled for JDK 17.
     */
    static final class ForeignEcho {
        static final MethodHandle HANDLE = downcall(BenchHandlers.library(BenchHandlers.ECHO));

        static MethodHandle downcall(Path library) {
            try {
                long address = Pointer.nativeValue(open(library).getFunction("handler_entry"));
                Class<?> linker = Class.forName("java.lang.foreign.Linker");
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> layout = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> descriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> option = Class.forName("java.lang.foreign.Linker$Option");
                Class<?> value = Class.forName("java.lang.foreign.ValueLayout");
                Object javaLong = value.getField("JAVA_LONG").get(null);
                Object args = java.lang.reflect.Array.newInstance(layout, 3);
                for (int i = 0; i < 3; i++) {
                    java.lang.reflect.Array.set(args, i, javaLong);
                }
                Object fd = descriptor.getMethod("of", layout, layout.arrayType()).invoke(null,
                        value.getField("JAVA_INT").get(null), args);
                return (MethodHandle) linker.getMethod("downcallHandle", segment, descriptor, option.arrayType())
                        .invoke(linker.getMethod("nativeLinker").invoke(null),
                                segment.getMethod("ofAddress", long.class).invoke(null, address), fd,
                                java.lang.reflect.Array.newInstance(option, 0));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("java.lang.foreign needs JDK 22+: " + e, e);
            }
        }
    }

    /** The example echo's {@code handler_entry} as {@link ForeignEcho}'s. */
    static final class ForeignExampleEcho {
        static final MethodHandle HANDLE = ForeignEcho.downcall(BenchHandlers.exampleEcho());
    }

    /** Whether the raw {@code java.lang.foreign} call exists in this JVM (JDK 22+). */
    static boolean foreignAvailable() {
        return Runtime.version().feature() >= 22;
    }

    private final Memory memory = new Memory(DATA + 64 * 1024 + 64);
    private final ByteBuffer b = memory.getByteBuffer(0, memory.size()).order(ByteOrder.nativeOrder());
    private final long base = Pointer.nativeValue(memory);
    private final boolean echo;
    private final boolean example;

    /** Binds {@code handler_entry} of the noop, echo_body and example echo libraries (once per JVM). */
    static synchronized void bind() {
        if (!Native.registered(Noop.class)) {
            Native.register(Noop.class, open(BenchHandlers.library(BenchHandlers.NOOP)));
            Native.register(Echo.class, open(BenchHandlers.library(BenchHandlers.ECHO)));
            Native.register(ExampleEcho.class, open(BenchHandlers.exampleEcho()));
        }
    }

    private static NativeLibrary open(Path library) {
        return NativeLibrary.getInstance(library.toString(), Map.of(Library.OPTION_OPEN_FLAGS, 2)); // RTLD_NOW
    }

    /** Calls echo_body if {@code echo}, else noop. */
    RawCall(boolean echo) {
        this(echo, false);
    }

    /** Calls the example echo (6 response headers). */
    static RawCall exampleEcho() {
        return new RawCall(true, true);
    }

    private RawCall(boolean echo, boolean example) {
        bind();
        this.echo = echo;
        this.example = example;
        byte[] id = (example ? "echo" : echo ? BenchHandlers.ECHO : BenchHandlers.NOOP)
                .getBytes(StandardCharsets.US_ASCII);
        b.put(DATA + 64 * 1024, id);
        b.putInt(CONTEXT + CONTEXT_SIZE_FIELD, CONTEXT_SIZE).putInt(CONTEXT + CONTEXT_ABI_VERSION, ABI_VERSION)
                .putLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_DATA, base + DATA + 64 * 1024)
                .putLong(CONTEXT + CONTEXT_ENDPOINT_ID + BYTES_LEN, id.length)
                .putLong(CONTEXT + CONTEXT_REQUEST_ID, 1).putLong(CONTEXT + CONTEXT_DEADLINE, 0);
        byte[] post = "POST/".getBytes(StandardCharsets.US_ASCII);
        b.put(DATA + 64 * 1024 + 32, post);
        b.putInt(REQUEST + REQUEST_SIZE_FIELD, REQUEST_SIZE).putInt(REQUEST + REQUEST_HEADER_COUNT, 0)
                .putLong(REQUEST + REQUEST_METHOD + BYTES_DATA, base + DATA + 64 * 1024 + 32)
                .putLong(REQUEST + REQUEST_METHOD + BYTES_LEN, 4)
                .putLong(REQUEST + REQUEST_PATH + BYTES_DATA, base + DATA + 64 * 1024 + 36)
                .putLong(REQUEST + REQUEST_PATH + BYTES_LEN, 1)
                .putLong(REQUEST + REQUEST_QUERY + BYTES_DATA, base + DATA)
                .putLong(REQUEST + REQUEST_QUERY + BYTES_LEN, 0)
                .putLong(REQUEST + REQUEST_HEADERS, 0);
    }

    /** One call with this body; returns the response body. */
    byte[] call(byte[] body) {
        return call(body, false);
    }

    /** Like {@link #call(byte[])}, through the {@code java.lang.foreign} downcall (not for noop). */
    byte[] callForeign(byte[] body) {
        return call(body, true);
    }

    private byte[] call(byte[] body, boolean foreign) {
        ByteBuffer b = this.b;
        b.put(DATA, body);
        b.putLong(REQUEST + REQUEST_BODY + BYTES_DATA, base + DATA).putLong(REQUEST + REQUEST_BODY + BYTES_LEN,
                body.length);
        b.putInt(RESPONSE + RESPONSE_SIZE_FIELD, RESPONSE_SIZE).putInt(RESPONSE + RESPONSE_STATUS, 200)
                .putLong(RESPONSE + RESPONSE_HEADER_COUNT, 0).putLong(RESPONSE + RESPONSE_HEADERS, 0)
                .putLong(RESPONSE + RESPONSE_BODY + BYTES_DATA, 0).putLong(RESPONSE + RESPONSE_BODY + BYTES_LEN, 0)
                .putLong(RESPONSE + RESPONSE_ERROR_MESSAGE + BYTES_DATA, 0)
                .putLong(RESPONSE + RESPONSE_ERROR_MESSAGE + BYTES_LEN, 0)
                .putLong(RESPONSE + RESPONSE_BUFFER, base + BUFFER)
                .putLong(RESPONSE + RESPONSE_BUFFER_CAPACITY, BUFFER_SIZE)
                .putLong(RESPONSE + RESPONSE_RELEASE_DATA, 0);
        int code = foreign ? invoke(base + CONTEXT, base + REQUEST, base + RESPONSE)
                : example ? ExampleEcho.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE)
                : echo ? Echo.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE)
                : Noop.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE);
        if (code != 0) {
            throw new IllegalStateException("handler_entry returned " + code);
        }
        byte[] out = new byte[(int) b.getLong(RESPONSE + RESPONSE_BODY + BYTES_LEN)];
        long data = b.getLong(RESPONSE + RESPONSE_BODY + BYTES_DATA);
        if (out.length > 0) {
            b.get((int) (data - base), out);
        }
        return out;
    }

    private int invoke(long context, long request, long response) {
        try {
            return example ? (int) ForeignExampleEcho.HANDLE.invokeExact(context, request, response)
                    : (int) ForeignEcho.HANDLE.invokeExact(context, request, response);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Only the JNA call of the no-op handler, nothing written or read: the floor of any call. */
    int callOnly() {
        return Noop.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE);
    }

    @Override
    public void close() {
        memory.close();
    }
}
