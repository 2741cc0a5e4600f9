package io.handlerregistry.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;

/** Echo 64 B through the registry and through the raw binding, from 1 and from 2 threads. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ThroughputBenchmark {
    private static final byte[] BODY = BenchHandlers.body(64);
    private static final HandlerRequest REQUEST = HandlerRequest.builder().method("POST").body(BODY).build();


    @Benchmark
    @Threads(1)
    public HandlerResponse registry1Thread(DispatchBenchmark.Registry r, DispatchBenchmark.Call c) {
        return r.registry.execute(BenchHandlers.ECHO, c.context, REQUEST);
    }

    @Benchmark
    @Threads(2)
    public HandlerResponse registry2Threads(DispatchBenchmark.Registry r, DispatchBenchmark.Call c) {
        return r.registry.execute(BenchHandlers.ECHO, c.context, REQUEST);
    }

    @Benchmark
    @Threads(1)
    public byte[] raw1Thread(DispatchBenchmark.Call c) {
        return c.rawEcho.call(BODY);
    }

    @Benchmark
    @Threads(2)
    public byte[] raw2Threads(DispatchBenchmark.Call c) {
        return c.rawEcho.call(BODY);
    }
}
