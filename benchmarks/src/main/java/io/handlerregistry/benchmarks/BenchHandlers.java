package io.handlerregistry.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import io.handlerregistry.engine.NativeHandlerRegistry;

/** The benchmark handler libraries built from src/main/native/bench.c. */
final class BenchHandlers {
    static final String NOOP = "noop";
    static final String ECHO = "echo_body";

    private BenchHandlers() {
    }

    /** Where the build put them: system property bench.native.dir, else benchmarks/target/native. */
    static Path directory() {
        return Path.of(System.getProperty("bench.native.dir", "benchmarks/target/native")).toAbsolutePath();
    }

    static Path library(String endpoint) {
        return directory().resolve("libhandler_" + endpoint + ".so");
    }

    /** registry-core's example echo, which answers with 6 response headers besides the body. */
    static Path exampleEcho() {
        return directory().resolve("libhandler_echo.so");
    }

    /** A registry over {@link #directory()} with these endpoints loaded and no cleanup task. */
    static NativeHandlerRegistry openRegistry(String... endpoints) {
        NativeHandlerRegistry registry = NativeHandlerRegistry.builder(directory()).cleanupInterval(Duration.ZERO)
                .build();
        for (String endpoint : endpoints) {
            registry.load(endpoint);
        }
        return registry;
    }

    /** A request body of this many bytes. */
    static byte[] body(int size) {
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'x');
        return body;
    }
}
