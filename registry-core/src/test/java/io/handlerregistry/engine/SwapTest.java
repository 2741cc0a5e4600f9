package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.mappingsOf;
import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.RequestGuard;
import io.handlerregistry.api.SwapResult;

/** Immediate and graceful swaps, unload, stats and cleanup on real libraries. */
class SwapTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry(Duration cleanupInterval) {
        registry = NativeHandlerRegistry.builder(work).copyDirectory(copies).cleanupInterval(cleanupInterval).build();
        return registry;
    }

    private String call(String endpoint, String body) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }

    @Test
    void immediateSwapStopsTheOldVersionAtOnceAndLetsItsCallsFinishBeforeUnload() {
        registry(Duration.ZERO); // cleanup only when the test asks
        LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
        Gate gate = new Gate(work, "immediate");
        CompletableFuture<HandlerResponse> inFlight = registry.executeAsync("slow", RequestContext.create(), gate.request());
        await().until(() -> v1.activeRequests() == 1);

        SwapResult result = registry.swap("slow", version("v2", "slow"));

        assertThat(result).isEqualTo(new SwapResult(true, 1, true));
        assertThat(call("slow", "sleep:0")).isEqualTo("v2");
        assertThat(v1.state()).isEqualTo(HandlerState.DRAINING);
        assertThat(v1.isDraining()).isTrue();
        assertThat(v1.drainingSince()).isPresent();
        assertThat(v1.acquireRequest()).isEmpty();
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 1, 0, 1));
        assertThat(registry.handlers()).extracting(LoadedHandler::state)
                .containsExactly(HandlerState.ACTIVE, HandlerState.DRAINING);
        assertThat(registry.cleanupDrained()).isZero();
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isNotEmpty();

        gate.open();
        assertThat(inFlight.join().bodyAsString()).isEqualTo("v1"); // finished on the old version
        await().until(() -> v1.state() == HandlerState.DRAINED);
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 1, 0, 0));
        assertThat(registry.cleanupDrained()).isEqualTo(1);
        assertThat(registry.cleanupDrained()).isZero();
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isEmpty();
        assertThat(v1.loadedCopy().orElseThrow()).doesNotExist();
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 0, 0, 0));
    }

    @Test
    void gracefulSwapOfAnIdleEndpointUnloadsTheOldVersionBeforeItReturns() {
        registry(Duration.ZERO);
        LoadedHandler v1 = registry.loadFrom("greeting", version("v1", "greeting"));
        assertThat(call("greeting", "a")).startsWith("v1 a");

        SwapResult result = registry.swapGraceful("greeting", version("v2", "greeting"), Duration.ofSeconds(10));

        assertThat(result).isEqualTo(new SwapResult(true, 0, false));
        assertThat(call("greeting", "b")).startsWith("v2 b");
        assertThat(v1.state()).isEqualTo(HandlerState.DRAINED);
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isEmpty();
        assertThat(v1.loadedCopy().orElseThrow()).doesNotExist();
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 0, 0, 0));
    }

    @Test
    void gracefulSwapWaitsForInFlightCallsWithinItsTimeout() {
        registry(Duration.ZERO);
        LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
        CompletableFuture<HandlerResponse> inFlight =
                registry.executeAsync("slow", RequestContext.create(), HandlerRequest.of("sleep:300"));
        await().until(() -> v1.activeRequests() == 1);

        SwapResult result = registry.swapGraceful("slow", version("v2", "slow"), Duration.ofSeconds(30));

        assertThat(result).isEqualTo(new SwapResult(true, 0, false));
        // the call returned from v1 before swapGraceful did (its future completes a moment later,
        // on the executor's thread, so the future itself is not asserted done here)
        assertThat(v1.state()).isEqualTo(HandlerState.DRAINED);
        assertThat(inFlight.join().bodyAsString()).isEqualTo("v1");
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isEmpty();
    }

    @Test
    void gracefulSwapThatTimesOutLeavesTheOldVersionToTheCleanupTask() {
        registry(Duration.ofMillis(20));
        LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
        Gate gate = new Gate(work, "timeout");
        CompletableFuture<HandlerResponse> inFlight = registry.executeAsync("slow", RequestContext.create(), gate.request());
        await().until(() -> v1.activeRequests() == 1);

        SwapResult result = registry.swapGraceful("slow", version("v2", "slow"), Duration.ofMillis(100));

        assertThat(result).isEqualTo(new SwapResult(true, 1, true));
        assertThat(call("slow", "sleep:0")).isEqualTo("v2");
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isNotEmpty();
        gate.open();
        assertThat(inFlight.join().bodyAsString()).isEqualTo("v1");
        await().until(() -> mappingsOf(v1.loadedCopy().orElseThrow()).isEmpty() && registry.stats().drainingCount() == 0);
        assertThat(v1.loadedCopy().orElseThrow()).doesNotExist();
    }

    @Test
    void aNewBuildWrittenToTheSamePathReallyLoads() throws IOException {
        registry(Duration.ZERO);
        Path deployed = work.resolve(HandlerRegistry.libraryFileName("greeting"));
        TestLibraries.install(version("v1", "greeting"), deployed);
        LoadedHandler first = registry.load("greeting");
        assertThat(call("greeting", "x")).startsWith("v1 x");

        TestLibraries.install(version("v2", "greeting"), deployed); // write new + rename over
        assertThat(registry.swap("greeting", deployed).swapped()).isTrue();
        assertThat(call("greeting", "x")).startsWith("v2 x");
        LoadedHandler second = registry.handler("greeting").orElseThrow();
        assertThat(second.source()).isEqualTo(first.source());
        assertThat(second.loadedCopy().orElseThrow()).isNotEqualTo(first.loadedCopy().orElseThrow());
        // the idle old version is unloaded at once, on a lifecycle thread
        await().until(() -> !Files.exists(first.loadedCopy().orElseThrow()));

        TestLibraries.install(version("v1", "greeting"), deployed);
        registry.swapGraceful("greeting", deployed, Duration.ofSeconds(5));
        assertThat(call("greeting", "x")).startsWith("v1 x");
        try (Stream<Path> files = Files.list(copies)) {
            assertThat(files).containsExactly(registry.handler("greeting").orElseThrow().loadedCopy().orElseThrow().getParent());
        }
    }

    @Test
    void unloadStopsNewCallsAtOnceAndUnloadsAfterTheLastOneReturned() {
        registry(Duration.ZERO);
        LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
        Gate gate = new Gate(work, "unload");
        CompletableFuture<HandlerResponse> inFlight = registry.executeAsync("slow", RequestContext.create(), gate.request());
        await().until(() -> v1.activeRequests() == 1);

        assertThat(registry.unload("slow")).isTrue();
        assertThat(registry.unload("slow")).isFalse();

        assertThat(registry.isLoaded("slow")).isFalse();
        assertThatThrownBy(() -> call("slow", "sleep:0")).isInstanceOf(EndpointNotFoundException.class);
        assertThat(registry.stats()).isEqualTo(new RegistryStats(0, 1, 0, 1));
        gate.open();
        assertThat(inFlight.join().bodyAsString()).isEqualTo("v1");
        await().until(() -> v1.state() == HandlerState.DRAINED);
        assertThat(registry.cleanupDrained()).isEqualTo(1);
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isEmpty();
        assertThat(registry.stats()).isEqualTo(new RegistryStats(0, 0, 0, 0));
    }

    @Test
    void aGuardHoldsTheVersionLikeACall() {
        registry(Duration.ZERO);
        LoadedHandler v1 = registry.loadFrom("greeting", version("v1", "greeting"));
        RequestGuard guard = v1.acquireRequest().orElseThrow();
        assertThat(v1.activeRequests()).isEqualTo(1);

        registry.swap("greeting", version("v2", "greeting"));
        assertThat(v1.state()).isEqualTo(HandlerState.DRAINING);
        assertThat(v1.acquireRequest()).isEmpty();
        assertThat(registry.cleanupDrained()).isZero();

        guard.close();
        guard.close(); // idempotent
        assertThat(v1.activeRequests()).isZero();
        assertThat(v1.state()).isEqualTo(HandlerState.DRAINED);
        assertThat(registry.cleanupDrained()).isEqualTo(1);
        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isEmpty();
    }

    @Test
    void swappingAnEndpointThatHasNoVersionLoadsIt() {
        registry(Duration.ZERO);
        assertThat(registry.swap("greeting", version("v2", "greeting"))).isEqualTo(new SwapResult(false, 0, false));
        assertThat(registry.swapGraceful("other", version("v1", "greeting"), Duration.ofSeconds(1)))
                .isEqualTo(new SwapResult(false, 0, false));
        assertThat(registry.endpoints()).containsExactly("greeting", "other");
    }

    @Test
    void concurrentSwapsOfOneEndpointNeverLeaveTwoActiveVersions() throws Exception {
        registry(Duration.ZERO);
        registry.loadFrom("greeting", version("v1", "greeting"));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> swaps = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                swaps.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        String v = (thread + i) % 2 == 0 ? "v1" : "v2";
                        try {
                            if (i % 2 == 0) {
                                registry.swap("greeting", version(v, "greeting"));
                            } else {
                                registry.swapGraceful("greeting", version(v, "greeting"), Duration.ofSeconds(5));
                            }
                        } catch (HandlerLoadException e) {
                            // asked at the same time as another swap that took effect first (SwapOrderTest)
                            assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.SUPERSEDED);
                        }
                        call("greeting", "x");
                    }
                    return null;
                }));
            }
            for (Future<?> swap : swaps) {
                swap.get();
            }
        } finally {
            pool.shutdown();
        }
        registry.cleanupDrained();
        assertThat(registry.handlers()).hasSize(1).allMatch(h -> h.state() == HandlerState.ACTIVE);
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 0, 0, 0));
        try (Stream<Path> files = Files.list(copies)) {
            assertThat(files).hasSize(1);
        }
    }
}
