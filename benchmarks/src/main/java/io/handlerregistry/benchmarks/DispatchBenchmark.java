package io.handlerregistry.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * One call, one thread: through the registry, through the raw JNA binding it uses, and the same
 * work in Java alone; for a handler that does nothing and one that echoes 64 B, 4 KiB, 64 KiB.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DispatchBenchmark {

    /** The registry with both benchmark handlers loaded. */
    @State(Scope.Benchmark)
    public static class Registry {
        NativeHandlerRegistry registry;

        @Setup
        public void open() {
            registry = BenchHandlers.openRegistry(BenchHandlers.NOOP, BenchHandlers.ECHO);
        }

        @TearDown
        public void close() {
            registry.close();
        }
    }

    /** A request of the benchmark's body size, and the per-thread raw calls. */
    @State(Scope.Thread)
    public static class Call {
        @Param({"64", "4096", "65536"})
        public int size;
        byte[] body;
        HandlerRequest request;
        final RequestContext context = RequestContext.of(1);
        RawCall rawEcho;
        RawCall rawNoop;

        @Setup
        public void prepare() {
            body = BenchHandlers.body(size);
            request = HandlerRequest.builder().method("POST").body(body).build();
            rawEcho = new RawCall(true);
            rawNoop = new RawCall(false);
        }

        @TearDown
        public void close() {
            rawEcho.close();
            rawNoop.close();
        }
    }

    @Benchmark
    public HandlerResponse registryEcho(Registry r, Call c) {
        return r.registry.execute(BenchHandlers.ECHO, c.context, c.request);
    }

    @Benchmark
    public byte[] rawEcho(Call c) {
        return c.rawEcho.call(c.body);
    }

    @Benchmark
    public HandlerResponse javaEcho(Call c) {
        return new HandlerResponse(200, List.of(), Arrays.copyOf(c.body, c.body.length));
    }

    /** The no-op handler ignores the body: measured at one size only (see RunAll). */
    @Benchmark
    public HandlerResponse registryNoop(Registry r, Call c) {
        return r.registry.execute(BenchHandlers.NOOP, c.context, c.request);
    }

    @Benchmark
    public byte[] rawNoop(Call c) {
        return c.rawNoop.call(c.body);
    }

    /** The JNA call alone (no-op handler, nothing marshalled): what any JNA-bound call costs here. */
    @Benchmark
    public int jnaCallOnly(Call c) {
        return c.rawNoop.callOnly();
    }

    @Benchmark
    public HandlerResponse javaNoop() {
        return new HandlerResponse(200, List.of(), new byte[0]);
    }
}
