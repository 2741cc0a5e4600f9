package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.handlerregistry.api.SwapResult;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * Graceful swap of an idle endpoint: copy and load the new library, init it, switch, and unload
 * the old one (idle, so it drains at once). Sampled, for percentiles.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class SwapBenchmark {
    private NativeHandlerRegistry registry;
    private Path directory;
    private final Path[] versions = new Path[2];
    private int next;

    @Setup
    public void open() throws IOException {
        directory = Files.createTempDirectory("swap-benchmark-");
        for (int i = 0; i < versions.length; i++) {
            versions[i] = Files.copy(BenchHandlers.library(BenchHandlers.ECHO), directory.resolve("v" + i + ".so"));
        }
        registry = NativeHandlerRegistry.builder(directory).cleanupInterval(Duration.ZERO).build();
        registry.loadFrom(BenchHandlers.ECHO, versions[0]);
    }

    @Benchmark
    public SwapResult swapGraceful() {
        next ^= 1;
        return registry.swapGraceful(BenchHandlers.ECHO, versions[next], Duration.ofSeconds(10));
    }

    @TearDown
    public void close() throws IOException {
        registry.close();
        for (Path v : versions) {
            Files.deleteIfExists(v);
        }
        Files.deleteIfExists(directory);
    }
}
