package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * Many graceful swaps in one process, with a call after each: afterwards the handler library
 * mappings, the private copies, the threads and the resident memory must be back where they were.
 * Run in a JVM of its own with a fixed, pre-touched heap (see RunAll), so that RSS growth is
 * native or class memory, not heap sizing. Prints key=value lines.
 */
public final class SwapSoak {
    private SwapSoak() {
    }

    public static void main(String[] args) throws Exception {
        int swaps = Integer.parseInt(args[0]);
        Path directory = Files.createTempDirectory("swap-soak-");
        Path copies = Files.createDirectories(directory.resolve("copies"));
        Path[] versions = new Path[2];
        for (int i = 0; i < 2; i++) {
            versions[i] = Files.copy(BenchHandlers.library(BenchHandlers.ECHO), directory.resolve("v" + i + ".so"));
        }
        HandlerRequest request = HandlerRequest.of("soak");
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(directory).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build()) {
            registry.loadFrom(BenchHandlers.ECHO, versions[0]);
            // Warm up as long as measured: C2 compiles the swap path meanwhile, and its arenas stay
            // resident afterwards (seen with -XX:NativeMemoryTracking: "Arena Chunk" ~30 MB);
            // measured right after a short warm-up, that shows as RSS growth but is not the registry's.
            for (int i = 1; i <= swaps; i++) {
                registry.swapGraceful(BenchHandlers.ECHO, versions[i % 2], Duration.ofSeconds(10));
                registry.execute(BenchHandlers.ECHO, RequestContext.of(i), request);
            }
            Map<String, Long> before = measure(copies);
            long start = System.nanoTime();
            for (int i = 1; i <= swaps; i++) {
                registry.swapGraceful(BenchHandlers.ECHO, versions[i % 2], Duration.ofSeconds(10));
                registry.execute(BenchHandlers.ECHO, RequestContext.of(i), request);
            }
            long elapsed = System.nanoTime() - start;
            Map<String, Long> after = measure(copies);
            System.out.println("swaps=" + swaps);
            System.out.println("seconds=" + elapsed / 1e9);
            before.forEach((k, v) -> System.out.println(k + ".before=" + v));
            after.forEach((k, v) -> System.out.println(k + ".after=" + v));
            System.out.println("draining.after=" + registry.stats().drainingCount());
        }
        for (Path v : versions) {
            Files.delete(v);
        }
        Files.delete(copies);
        Files.delete(directory);
    }

    private static Map<String, Long> measure(Path copies) throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc(); // unloads the per-version binding classes the swaps left for the collector
            Thread.sleep(100);
        }
        Map<String, Long> m = new LinkedHashMap<>();
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        m.put("mappings", maps.stream().filter(l -> l.contains("libhandler_") || l.contains("-v0.so")
                || l.contains("-v1.so")).map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().count());
        try (Stream<Path> files = Files.list(copies)) {
            m.put("copies", files.count());
        }
        m.put("threads", (long) ManagementFactory.getThreadMXBean().getThreadCount());
        m.put("rssKiB", Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElse(-1L));
        m.put("loadedClasses", (long) ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
        return m;
    }
}
