package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static io.handlerregistry.engine.VersionHistoryTest.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/**
 * Rollback: a graceful swap to a new private copy of a version the history keeps, ordered with the
 * endpoint's other swaps, losing no call; bad input is a clear error and changes nothing.
 */
class RollbackTest {
    @TempDir
    Path copies;
    @TempDir
    Path historyDir;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry() {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).historyDirectory(historyDir)
                .cleanupInterval(Duration.ofMillis(20)).build();
    }

    @Test
    void rollbackGoesBackToThePreviousVersionFromAPrivateCopyOfItsKeptLibrary() throws Exception {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        assertThat(call(registry, "greeting")).startsWith("v2 hi");

        SwapResult result = registry.rollback("greeting", null, Duration.ofSeconds(10));
        assertThat(result.swapped()).isTrue();
        assertThat(result.draining()).isFalse(); // waited for the drain and the unload
        assertThat(call(registry, "greeting")).startsWith("v1 hi");

        List<HistoryEntry> history = registry.history("greeting");
        assertThat(history).extracting(HistoryEntry::number).containsExactly(3, 2, 1);
        HistoryEntry rollback = history.get(0);
        assertThat(rollback.serving()).isTrue();
        assertThat(rollback.rollbackOf()).isEqualTo(1);
        assertThat(rollback.source()).isEqualTo(HistoryEntry.Source.API);
        assertThat(rollback.sha256()).isEqualTo(history.get(2).sha256());
        assertThat(rollback.origin()).isEqualTo("rollback to #1: " + version("v1", "greeting").toAbsolutePath());
        assertThat(history.get(1).replacedBecause()).isEqualTo("rolled back to #1 (as #3)");
        assertThat(registry.isPinned("greeting")).isTrue();

        // its own private copy: not the kept file, which stays unmapped
        LoadedHandler serving = registry.handler("greeting").orElseThrow();
        Path copy = serving.loadedCopy().orElseThrow();
        assertThat(copy.startsWith(copies)).isTrue();
        assertThat(TestLibraries.mappingsOf(copy)).isNotEmpty();
        try (Stream<Path> kept = Files.walk(historyDir)) {
            assertThat(kept.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().startsWith("lib")))
                    .hasSize(2).allSatisfy(f -> assertThat(TestLibraries.mappingsOf(f)).isEmpty());
        }
        assertThat(serving.source()).isEqualTo(rollback.origin());

        // again: back to what served before this one (kubectl rollout undo does the same)
        registry.rollback("greeting");
        assertThat(call(registry, "greeting")).startsWith("v2 hi");
        assertThat(registry.history("greeting").get(0).rollbackOf()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handlers().size() == 1);

        registry.swap("greeting", version("v1", "greeting")); // a swap ends the pin
        assertThat(registry.isPinned("greeting")).isFalse();
    }

    @Test
    void rollbackToANamedVersionByNumberOrByVersion() throws Exception {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        registry.swap("greeting", TestLibraries.library("echo"));
        registry.swap("greeting", (c, r) -> new io.handlerregistry.api.HandlerResponse(200, List.of(), "java".getBytes()), "a Java handler", "4.0");

        registry.rollback("greeting", "#1");
        assertThat(call(registry, "greeting")).startsWith("v1 hi");
        registry.rollback("greeting", "2");
        assertThat(call(registry, "greeting")).startsWith("v2 hi");
        registry.rollback("greeting", "3");
        assertThat(call(registry, "greeting")).isEqualTo("hi");
        assertThat(registry.history("greeting")).extracting(HistoryEntry::rollbackOf).startsWith(3, 2, 1, 0);
    }

    @Test
    void badRollbacksAreClearErrorsAndChangeNothing() throws Exception {
        registry = registry();
        assertThatThrownBy(() -> registry.rollback("greeting")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY)).hasMessageContaining("never served");
        registry.loadFrom("greeting", version("v1", "greeting"));
        assertThatThrownBy(() -> registry.rollback("greeting")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY))
                .hasMessageContaining("no earlier version to roll back to").hasMessageContaining("#1 (serving)");
        registry.swap("greeting", version("v2", "greeting"));
        registry.swap("greeting", (c, r) -> new io.handlerregistry.api.HandlerResponse(200, List.of(), "java".getBytes()), "a Java handler", "3.0");
        registry.swap("greeting", version("v2", "greeting"));
        LoadedHandler before = registry.handler("greeting").orElseThrow();

        assertThatThrownBy(() -> registry.rollback("greeting", "9")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY))
                .hasMessageContaining("no version '9'").hasMessageContaining("#4 (serving), #3 (3.0, Java, not kept), #2, #1");
        assertThatThrownBy(() -> registry.rollback("greeting", "3.0")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY)).hasMessageContaining("written in Java");
        assertThatThrownBy(() -> registry.rollback("greeting", "#2")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_LOADED)).hasMessageContaining("same library as #2");
        assertThatThrownBy(() -> registry.rollback("greeting", "4")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_LOADED)).hasMessageContaining("served by #4");
        assertThatThrownBy(() -> registry.rollback("no such")).hasMessageContaining("no such");

        // the kept library changed on disk, then gone: refused, the serving version serves on
        HistoryEntry first = registry.history("greeting").get(3);
        Path kept;
        try (Stream<Path> files = Files.list(historyDir.resolve("greeting").resolve(first.sha256()))) {
            kept = files.findFirst().orElseThrow();
        }
        Path original = work.resolve("original.so");
        Files.copy(kept, original);
        TestLibraries.install(TestLibraries.library("echo"), kept);
        assertThatThrownBy(() -> registry.rollback("greeting", "1")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.FILE_CHANGED)).hasMessageContaining("changed on disk");
        Files.delete(kept);
        assertThat(registry.history("greeting").get(3).kept()).isFalse();
        assertThatThrownBy(() -> registry.rollback("greeting", "1")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.FILE_NOT_FOUND)).hasMessageContaining("is gone from");
        // the previous version: #1 is no longer kept, so there is none with another library
        assertThatThrownBy(() -> registry.rollback("greeting")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY));

        assertThat(registry.handler("greeting")).containsSame(before);
        assertThat(registry.history("greeting")).extracting(HistoryEntry::number).containsExactly(4, 3, 2, 1);
        assertThat(call(registry, "greeting")).startsWith("v2 hi");
        try (Stream<Path> left = Files.list(copies)) { // no private copy left behind by the refusals
            assertThat(left.filter(Files::isDirectory).count()).isEqualTo(1);
        }
    }

    @Test
    void rollbacksUnderContinuousCallsLoseNoCall() throws Exception {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong calls = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> callers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            callers.add(pool.submit(() -> {
                while (running.get()) {
                    try {
                        String body = call(registry, "greeting");
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
        for (int i = 1; i <= 30; i++) {
            long before = calls.get();
            SwapResult result = registry.rollback("greeting", null, Duration.ofSeconds(10));
            assertThat(result.swapped()).isTrue();
            assertThat(call(registry, "greeting")).startsWith(i % 2 == 1 ? "v1 hi" : "v2 hi");
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() > before + 50 || !failures.isEmpty());
        }
        running.set(false);
        for (Future<?> caller : callers) {
            caller.get();
        }
        pool.shutdown();
        assertThat(failures).isEmpty();
        assertThat(calls.get()).isGreaterThan(30 * 50);
        assertThat(registry.history("greeting")).hasSize(5); // the default history.size
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handlers().size() == 1);
    }

    @Test
    void aRollbackOvertakenByALaterSwapIsSupersededAndTheSwapStays() throws Exception {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .historyDirectory(historyDir).cleanupInterval(Duration.ofMillis(20)).build();
        // a hooks library whose handler_init waits for a file next to the path it is loaded from: the kept copy
        Path hooks = TestLibraries.install(TestLibraries.library("hooks"), work.resolve("libhandler_hooks.so"));
        registry.loadFrom("svc", hooks);
        registry.swap("svc", TestLibraries.library("echo"));
        HistoryEntry target = registry.history("svc").get(1);
        Path kept;
        try (Stream<Path> files = Files.list(historyDir.resolve("svc").resolve(target.sha256()))) {
            kept = files.filter(f -> f.getFileName().toString().equals("libhandler_hooks.so")).findFirst().orElseThrow();
        }
        Files.writeString(Path.of(kept + ".init-hold"), "hold");
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<SwapResult> rollback = CompletableFuture.supplyAsync(() -> registry.rollback("svc"), caller);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(Path.of(kept + ".events")));
            registry.swap("svc", version("v2", "greeting")); // asked for later, takes effect first
            Files.writeString(Path.of(kept + ".init-go"), "go");
            assertThat(rollback).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                    .isInstanceOfSatisfying(HandlerLoadException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SUPERSEDED));
        } finally {
            Files.writeString(Path.of(kept + ".init-go"), "go");
            caller.shutdown();
        }
        assertThat(call(registry, "svc")).startsWith("v2 hi");
        assertThat(registry.history("svc")).extracting(HistoryEntry::number).containsExactly(3, 2, 1);
        assertThat(registry.isPinned("svc")).isFalse();
    }

    @Test
    void aLibraryThatFindsItsDependenciesBesideItselfFindsThemAfterARollback() {
        registry = registry();
        Path origin = TestLibraries.dir().resolve("origin").resolve(io.handlerregistry.api.HandlerRegistry.libraryFileName("origin"));
        registry.loadFrom("origin", origin);
        String answer = call(registry, "origin");
        registry.swap("origin", TestLibraries.library("echo"));
        registry.rollback("origin");
        assertThat(call(registry, "origin")).isEqualTo(answer);
    }

    @Test
    void aPinnedRollbackIsServedAgainByARegistryStartedOnTheSameHistory() throws Exception {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"), Isolation.PROCESS);
        registry.swap("greeting", version("v2", "greeting"));
        registry.rollback("greeting");
        registry.holdBack("greeting", java.util.Set.of("bundle x 2.0.0"));
        registry.loadFrom("echo", TestLibraries.library("echo"));
        registry.close();

        registry = registry();
        assertThat(registry.restorePinned()).containsExactly("greeting");
        assertThat(call(registry, "greeting")).startsWith("v1 hi");
        assertThat(registry.handler("greeting").orElseThrow().isolation()).isEqualTo(Isolation.PROCESS);
        assertThat(registry.isLoaded("echo")).isFalse(); // only what a rollback pinned comes back
        assertThat(registry.isPinned("greeting")).isTrue();
        assertThat(registry.heldBack("greeting")).containsExactly("bundle x 2.0.0");
        List<HistoryEntry> history = registry.history("greeting");
        assertThat(history).extracting(HistoryEntry::number).containsExactly(3, 2, 1); // #3 goes on
        assertThat(history.get(0).serving()).isTrue();
        assertThat(history.get(0).rollbackOf()).isEqualTo(1);
    }
}
