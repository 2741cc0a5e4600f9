package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/** Dozens of graceful swaps while threads call without pause: not one call fails. */
class GracefulSwapUnderLoadTest {
    private static final int CALLERS = 4;
    private static final int SWAPS = 60;

    @TempDir
    Path copies;

    @Test
    void noCallFailsAndEveryCallIsAnsweredByTheOldOrTheNewVersion() throws Exception {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ofMillis(10)).build()) {
            registry.loadFrom("greeting", version("v1", "greeting"));
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong calls = new AtomicLong();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
            List<Future<?>> callers = new ArrayList<>();
            for (int t = 0; t < CALLERS; t++) {
                callers.add(pool.submit(() -> {
                    while (running.get()) {
                        try {
                            String body = registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi"))
                                    .bodyAsString();
                            if (!body.startsWith("v1 hi") && !body.startsWith("v2 hi")) {
                                failures.add("unexpected answer: " + body);
                            }
                        } catch (RuntimeException e) {
                            failures.add(e.toString());
                        }
                        calls.incrementAndGet();
                    }
                }));
            }

            for (int i = 1; i <= SWAPS; i++) {
                String next = i % 2 == 0 ? "v1" : "v2";
                long before = calls.get();
                SwapResult result = registry.swapGraceful("greeting", version(next, "greeting"), Duration.ofSeconds(10));
                assertThat(result.swapped()).isTrue();
                assertThat(result.draining()).isFalse();
                // the swap took effect: the next call from anywhere answers with the new version
                assertThat(registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString())
                        .startsWith(next + " hi");
                while (calls.get() < before + 50 && failures.isEmpty()) {
                    Thread.onSpinWait(); // let the callers run against this version for a while
                }
            }
            running.set(false);
            for (Future<?> caller : callers) {
                caller.get();
            }
            pool.shutdown();

            assertThat(failures).isEmpty();
            assertThat(calls.get()).isGreaterThan(SWAPS * 50L);
            registry.cleanupDrained();
            assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 0, 0, 0));
            try (Stream<Path> files = Files.list(copies)) {
                assertThat(files).hasSize(1); // every replaced version's copy is gone
            }
        }
    }
}
