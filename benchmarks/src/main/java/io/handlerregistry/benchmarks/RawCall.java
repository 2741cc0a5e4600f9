package io.handlerregistry.benchmarks;

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
 * the response body into a new array. One instance per thread.
 */
final class RawCall implements AutoCloseable {
    // handler.h layout, as in the registry
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

    private final Memory memory = new Memory(DATA + 64 * 1024 + 64);
    private final ByteBuffer b = memory.getByteBuffer(0, memory.size()).order(ByteOrder.nativeOrder());
    private final long base = Pointer.nativeValue(memory);
    private final boolean echo;

    /** Binds {@code handler_entry} of the noop and echo_body libraries (once per JVM). */
    static synchronized void bind() {
        if (!Native.registered(Noop.class)) {
            Native.register(Noop.class, open(BenchHandlers.library(BenchHandlers.NOOP)));
            Native.register(Echo.class, open(BenchHandlers.library(BenchHandlers.ECHO)));
        }
    }

    private static NativeLibrary open(Path library) {
        return NativeLibrary.getInstance(library.toString(), Map.of(Library.OPTION_OPEN_FLAGS, 2)); // RTLD_NOW
    }

    RawCall(boolean echo) {
        bind();
        this.echo = echo;
        byte[] id = (echo ? BenchHandlers.ECHO : BenchHandlers.NOOP).getBytes(StandardCharsets.US_ASCII);
        b.put(DATA + 64 * 1024, id);
        b.putInt(CONTEXT, 40).putInt(CONTEXT + 4, 1).putLong(CONTEXT + 8, base + DATA + 64 * 1024)
                .putLong(CONTEXT + 16, id.length).putLong(CONTEXT + 24, 1).putLong(CONTEXT + 32, 0);
        byte[] post = "POST/".getBytes(StandardCharsets.US_ASCII);
        b.put(DATA + 64 * 1024 + 32, post);
        b.putInt(REQUEST, 80).putInt(REQUEST + 4, 0)
                .putLong(REQUEST + 8, base + DATA + 64 * 1024 + 32).putLong(REQUEST + 16, 4) // method
                .putLong(REQUEST + 24, base + DATA + 64 * 1024 + 36).putLong(REQUEST + 32, 1) // path
                .putLong(REQUEST + 40, base + DATA).putLong(REQUEST + 48, 0) // query
                .putLong(REQUEST + 56, 0);
    }

    /** One call with this body; returns the response body. */
    byte[] call(byte[] body) {
        ByteBuffer b = this.b;
        b.put(DATA, body);
        b.putLong(REQUEST + 64, base + DATA).putLong(REQUEST + 72, body.length);
        b.putInt(RESPONSE, 80).putInt(RESPONSE + 4, 200).putLong(RESPONSE + 8, 0).putLong(RESPONSE + 16, 0)
                .putLong(RESPONSE + 24, 0).putLong(RESPONSE + 32, 0).putLong(RESPONSE + 40, 0)
                .putLong(RESPONSE + 48, 0).putLong(RESPONSE + 56, base + BUFFER).putLong(RESPONSE + 64, BUFFER_SIZE)
                .putLong(RESPONSE + 72, 0);
        int code = echo ? Echo.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE)
                : Noop.handler_entry(base + CONTEXT, base + REQUEST, base + RESPONSE);
        if (code != 0) {
            throw new IllegalStateException("handler_entry returned " + code);
        }
        byte[] out = new byte[(int) b.getLong(RESPONSE + 32)];
        long data = b.getLong(RESPONSE + 24);
        if (out.length > 0) {
            b.get((int) (data - base), out);
        }
        return out;
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
