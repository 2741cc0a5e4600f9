package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.CallOutcomes;
import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RegistryActivity.SwapKind;
import io.handlerregistry.api.RequestContext;

/**
 * What the registry counts for metrics, on real libraries: how each version's calls ended (ok, handler
 * error, crashed in a worker process, timed out for the caller, refused), calls for unknown endpoints,
 * loads/swaps/unloads by kind and result, the generation, and how long drains took.
 */
class ActivityTest {
    @TempDir
    Path copies;
    @TempDir
    Path files;

    private final ExecutorService callers = Executors.newCachedThreadPool();
    private NativeHandlerRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        callers.shutdownNow();
        callers.awaitTermination(30, TimeUnit.SECONDS);
        if (registry != null) {
            registry.close();
        }
    }

    private static String call(NativeHandlerRegistry registry, String endpoint, HandlerRequest request) {
        return registry.execute(endpoint, RequestContext.create(), request).bodyAsString();
    }

    @Test
    void everyCallIsCountedByHowItEnded() throws Exception {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).callLimits(1, 0).build();
        LoadedHandler echo = registry.load("echo");
        LoadedHandler slow = registry.load("slow");
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        for (int i = 0; i < 3; i++) {
            call(registry, "echo", HandlerRequest.of("hi"));
        }
        assertThatThrownBy(() -> call(registry, "echo", HandlerRequest.builder().path("/fail").build()))
                .isInstanceOf(HandlerFailedException.class);
        assertThatThrownBy(() -> call(registry, "crashy", HandlerRequest.of("segv")))
                .isInstanceOf(HandlerCrashedException.class);
        call(registry, "crashy", HandlerRequest.of("hello"));
        assertThatThrownBy(() -> call(registry, "nothing-here", HandlerRequest.of("x")))
                .isInstanceOf(EndpointNotFoundException.class);

        // slow: one call inside holds the only place: the next is refused, and a caller that waits 50 ms gives up
        Path gate = files.resolve("gate");
        Future<String> inside = callers.submit(() -> call(registry, "slow", HandlerRequest.of("wait:" + gate)));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(files.resolve("gate.inside")));
        assertThatThrownBy(() -> call(registry, "slow", HandlerRequest.of("sleep:0")))
                .isInstanceOf(HandlerOverloadedException.class);
        registry.configureLimits(2, 0);
        Path gate2 = files.resolve("gate2");
        assertThatThrownBy(() -> registry.executeWithTimeout("slow", RequestContext.create(),
                HandlerRequest.of("wait:" + gate2), Duration.ofMillis(50))).isInstanceOf(HandlerTimeoutException.class);
        Files.createFile(gate);
        Files.createFile(gate2);
        inside.get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> slow.activeRequests() == 0);

        assertThat(echo.outcomes()).isEqualTo(new CallOutcomes(3, 1, 0, 0, 0));
        assertThat(registry.handler("crashy").orElseThrow().outcomes()).isEqualTo(new CallOutcomes(1, 0, 1, 0, 0));
        // the call that timed out for its caller returned later: counted as ok too
        assertThat(slow.outcomes()).isEqualTo(new CallOutcomes(2, 0, 0, 1, 1));
        assertThat(registry.activity().notFound()).isEqualTo(1);
    }

    @Test
    void swapsAreCountedByKindAndResultAndEachChangeMovesTheGeneration() throws Exception {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).build();
        long start = registry.activity().generation();
        registry.loadFrom("greeting", TestLibraries.version("v1", "greeting"));
        long afterLoad = registry.activity().generation();
        assertThat(afterLoad).isGreaterThan(start);

        registry.swap("greeting", TestLibraries.version("v2", "greeting"));
        long afterSwap = registry.activity().generation();
        assertThat(afterSwap).isGreaterThan(afterLoad);

        Path broken = Files.writeString(files.resolve("libhandler_broken.so"), "not a library");
        assertThatThrownBy(() -> registry.swapGraceful("greeting", broken, Duration.ofSeconds(5)))
                .isInstanceOf(HandlerLoadException.class);
        assertThat(registry.activity().generation()).as("a refused swap changes nothing").isEqualTo(afterSwap);

        // a graceful swap while a call is inside the old version: its drain is timed once the call returned
        registry.load("slow");
        Path gate = files.resolve("gate");
        Future<String> inside = callers.submit(() -> call(registry, "slow", HandlerRequest.of("wait:" + gate)));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(files.resolve("gate.inside")));
        assertThat(registry.activity().drainDurations().count()).isEqualTo(1); // greeting v1, idle when swapped
        registry.swapGraceful("slow", TestLibraries.library("slow"), Duration.ZERO);
        assertThat(registry.activity().drainDurations().count()).isEqualTo(1);
        Files.createFile(gate);
        inside.get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.activity().drainDurations().count() == 2);

        assertThat(registry.unload("greeting")).isTrue();
        assertThat(registry.unload("greeting")).isFalse();

        RegistryActivity activity = registry.activity();
        assertThat(activity.swaps()).isEqualTo(Map.of(
                new SwapKind("load", "ok"), 2L,
                new SwapKind("swap", "ok"), 1L,
                new SwapKind("graceful", "refused"), 1L,
                new SwapKind("graceful", "ok"), 1L,
                new SwapKind("unload", "ok"), 1L,
                new SwapKind("unload", "refused"), 1L));
        assertThat(activity.generation() - start).as("load, swap, load, graceful swap, unload").isEqualTo(5);
        assertThat(activity.drainDurations().count()).isEqualTo(3);
    }

    /**
     * A swap that finds the endpoint without a version replaces nothing: it is a load (as the registry logs it),
     * so that a container's start, where every handler bundle's first version comes in through a swap to a
     * handler object, shows loads on /metrics, not swaps. Seen by hand: handler_swaps_total{kind="swap"} 2 at
     * the start of the container, before anything had been swapped.
     */
    @Test
    void aSwapThatFindsNoVersionIsCountedAsALoad() {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).build();
        registry.swap("greeting", TestLibraries.version("v1", "greeting"));
        registry.swapGraceful("echo", TestLibraries.library("echo"), Duration.ofSeconds(5));
        registry.swap("object", (context, request) -> new HandlerResponse(200, List.of(), new byte[0]), "a Java handler", "1.0.0");
        registry.swap("greeting", TestLibraries.version("v2", "greeting"));

        assertThat(registry.activity().swaps()).isEqualTo(Map.of(
                new SwapKind("load", "ok"), 3L,
                new SwapKind("swap", "ok"), 1L));
    }
}
