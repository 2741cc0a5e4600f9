package io.handlerregistry.benchmarks;

import java.nio.file.Path;

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
}
