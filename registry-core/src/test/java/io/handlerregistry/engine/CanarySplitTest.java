package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity.SwapKind;
import io.handlerregistry.api.RequestContext;

/**
 * Canary splits: two live versions of one endpoint share its calls, by the split's percent; promote and abort
 * end it without a failed call; a swap, rollback or unload ends it (both versions it held drain); bad input is
 * a clear error and changes nothing.
 */
class CanarySplitTest {
    @TempDir
    Path copies;
    @TempDir
    Path historyDir;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private ExecutorService pool;

    @AfterEach
    void close() throws Exception {
        running.set(false);
        if (pool != null) {
            pool.shutdown();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry() {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).historyDirectory(historyDir)
                .cleanupInterval(Duration.ofMillis(20)).build();
    }

    private static String call(NativeHandlerRegistry registry) {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }

    /** Callers that count answers by version ("v1" ...) and record every failure, until the test ends. */
    private final class Callers {
        final Map<String, LongAdder> byVersion = new java.util.concurrent.ConcurrentHashMap<>();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong calls = new AtomicLong();
        final List<Future<?>> futures = new ArrayList<>();

        Callers(int threads) {
            pool = Executors.newFixedThreadPool(threads);
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    while (running.get()) {
                        try {
                            String body = call(registry);
                            byVersion.computeIfAbsent(body.substring(0, 2), k -> new LongAdder()).increment();
                        } catch (RuntimeException e) {
                            failures.add(e.toString());
                        }
                        calls.incrementAndGet();
                    }
                }));
            }
        }

        long of(String version) {
            LongAdder n = byVersion.get(version);
            return n == null ? 0 : n.sum();
        }

        void reset() {
            byVersion.clear();
        }

        /** Waits until the callers made {@code more} calls from now. */
        void await(long more) {
            long until = calls.get() + more;
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> calls.get() >= until);
        }
    }

    @Test
    void bothVersionsShareTheCallsAndPromoteAndAbortLoseNoCall() {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        Callers callers = new Callers(3);
        callers.await(200);

        CanarySplit split = registry.split("greeting", version("v2", "greeting"), 20);
        assertThat(split.percent()).isEqualTo(20.0);
        assertThat(split.primary().source()).isEqualTo(version("v1", "greeting").toAbsolutePath().toString());
        assertThat(split.canary().source()).isEqualTo(version("v2", "greeting").toAbsolutePath().toString());
        assertThat(split.canary().isCanary()).isTrue();
        assertThat(split.primary().isCanary()).isFalse();
        assertThat(split.canary().trafficPercent()).isEqualTo(20.0);
        assertThat(split.primary().trafficPercent()).isEqualTo(80.0);
        assertThat(registry.split("greeting")).hasValueSatisfying(s -> assertThat(s.canary()).isSameAs(split.canary()));
        assertThat(registry.handlers()).containsExactly(split.primary(), split.canary());
        assertThat(registry.handler("greeting")).containsSame(split.primary());

        callers.reset();
        callers.await(4_000);
        long v1 = callers.of("v1");
        long v2 = callers.of("v2");
        // 20 % of several thousand calls: wide bounds (the split is random per call)
        assertThat(v2 / (double) (v1 + v2)).isBetween(0.10, 0.30);

        // the same library again: only the percent changes, nothing is loaded
        long generation = registry.activity().generation();
        CanarySplit half = registry.split("greeting", version("v2", "greeting"), 50);
        assertThat(half.canary()).isSameAs(split.canary());
        assertThat(registry.activity().generation()).isEqualTo(generation);
        callers.reset();
        callers.await(4_000);
        assertThat(callers.of("v2") / (double) (callers.of("v1") + callers.of("v2"))).isBetween(0.35, 0.65);

        // promote under load: the canary serves alone, the primary drains and goes
        registry.promote("greeting", Duration.ofSeconds(30));
        assertThat(registry.split("greeting")).isEmpty();
        assertThat(registry.handler("greeting")).containsSame(split.canary());
        assertThat(split.canary().isCanary()).isFalse();
        assertThat(split.canary().trafficPercent()).isEqualTo(100.0);
        assertThat(split.primary().state()).isIn(HandlerState.DRAINED);
        callers.reset();
        callers.await(500);
        assertThat(callers.of("v1")).isZero();
        assertThat(registry.history("greeting").get(0).serving()).isTrue();
        assertThat(registry.history("greeting").get(0).origin()).isEqualTo(split.canary().source());

        // a canary from the history (#1, v1), aborted under load: every call goes back, the canary goes
        CanarySplit back = registry.split("greeting", "1", 30);
        assertThat(back.origin()).startsWith("#1: ");
        callers.await(2_000);
        assertThat(callers.of("v1")).isPositive();
        registry.abort("greeting");
        await().atMost(Duration.ofSeconds(30)).until(() -> back.canary().state() == HandlerState.DRAINED);
        callers.reset();
        callers.await(500);
        assertThat(callers.of("v1")).isZero();
        assertThat(registry.handlers()).containsExactly(split.canary());

        running.set(false);
        callers.futures.forEach(f -> {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(callers.failures).isEmpty();
        Map<SwapKind, Long> swaps = registry.activity().swaps();
        assertThat(swaps).containsEntry(new SwapKind("split", "ok"), 3L).containsEntry(new SwapKind("promote", "ok"), 1L)
                .containsEntry(new SwapKind("abort", "ok"), 1L);
    }

    @Test
    void aSwapRollbackOrUnloadEndsTheSplitAndBothVersionsDrain() {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        CanarySplit split = registry.split("greeting", version("v2", "greeting"), 40);

        registry.swap("greeting", TestLibraries.library("greeting"));
        assertThat(registry.split("greeting")).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> split.primary().state() == HandlerState.DRAINED
                && split.canary().state() == HandlerState.DRAINED);
        for (int i = 0; i < 50; i++) {
            assertThat(call(registry)).startsWith("hello hi");
        }
        assertThat(registry.handlers()).hasSize(1);

        CanarySplit second = registry.split("greeting", version("v2", "greeting"), 40);
        registry.rollback("greeting", "1");
        assertThat(registry.split("greeting")).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> second.canary().state() == HandlerState.DRAINED);
        for (int i = 0; i < 50; i++) {
            assertThat(call(registry)).startsWith("v1 hi");
        }

        CanarySplit third = registry.split("greeting", version("v2", "greeting"), 40);
        registry.unload("greeting");
        await().atMost(Duration.ofSeconds(30)).until(() -> third.canary().state() == HandlerState.DRAINED
                && third.primary().state() == HandlerState.DRAINED);
        assertThat(registry.handlers()).isEmpty();
    }

    @Test
    void aNewCanaryReplacesTheOneBefore() {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        CanarySplit first = registry.split("greeting", version("v2", "greeting"), 10);
        CanarySplit second = registry.split("greeting", TestLibraries.library("greeting"), 10);
        assertThat(second.canary()).isNotSameAs(first.canary());
        assertThat(second.primary()).isSameAs(first.primary());
        await().atMost(Duration.ofSeconds(30)).until(() -> first.canary().state() == HandlerState.DRAINED);
        assertThat(registry.handlers()).containsExactly(first.primary(), second.canary());
    }

    @Test
    void badSplitsAreClearErrorsAndChangeNothing() throws Exception {
        registry = registry();
        assertThatThrownBy(() -> registry.split("greeting", version("v2", "greeting"), 20))
                .isInstanceOfSatisfying(HandlerLoadException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_LOADED))
                .hasMessageContaining("'greeting' is not loaded");
        registry.loadFrom("greeting", version("v1", "greeting"));
        for (double wrong : new double[] {0, 100, 150, -5, 0.001, Double.NaN}) {
            assertThatThrownBy(() -> registry.split("greeting", version("v2", "greeting"), wrong))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 0 and less than 100");
        }
        assertThatThrownBy(() -> registry.promote("greeting")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NO_SPLIT)).hasMessageContaining("handler:split greeting");
        assertThatThrownBy(() -> registry.abort("greeting")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NO_SPLIT));
        assertThatThrownBy(() -> registry.split("greeting", version("v1", "greeting"), 20))
                .isInstanceOfSatisfying(HandlerLoadException.class, e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_LOADED))
                .hasMessageContaining("must differ");

        CanarySplit split = registry.split("greeting", version("v2", "greeting"), 20);
        Path text = Files.writeString(work.resolve("libhandler_greeting.so"), "not a library");
        assertThatThrownBy(() -> registry.split("greeting", text, 20)).isInstanceOf(HandlerLoadException.class);
        assertThatThrownBy(() -> registry.split("greeting", work.resolve("missing.so"), 20))
                .isInstanceOfSatisfying(HandlerLoadException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FILE_NOT_FOUND));
        assertThatThrownBy(() -> registry.split("greeting", "7", 20)).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_IN_HISTORY));
        assertThat(registry.split("greeting")).hasValueSatisfying(s -> {
            assertThat(s.canary()).isSameAs(split.canary());
            assertThat(s.percent()).isEqualTo(20.0);
        });
        assertThat(registry.handlers()).containsExactly(split.primary(), split.canary());
        assertThat(registry.activity().swaps()).containsEntry(new SwapKind("split", "refused"), 5L);
    }

    @Test
    void eachVersionOfASplitCountsItsOwnCalls() {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        CanarySplit split = registry.split("greeting", version("v2", "greeting"), 50);
        int v2 = 0;
        for (int i = 0; i < 400; i++) {
            if (call(registry).startsWith("v2")) {
                v2++;
            }
        }
        assertThat(split.canary().totalCalls()).isEqualTo(v2);
        assertThat(split.primary().totalCalls()).isEqualTo(400 - v2);
        LoadedHandler canary = split.canary();
        assertThat(canary.outcomes().ok()).isEqualTo(v2);
    }
    @Test
    void aCallTellsWhichVersionOfTheSplitTookIt() {
        registry = registry();
        registry.loadFrom("greeting", version("v1", "greeting"));
        CanarySplit split = registry.split("greeting", version("v2", "greeting"), 50);
        Map<Long, Integer> told = new java.util.HashMap<>();
        for (int i = 0; i < 200; i++) {
            AtomicReference<LoadedHandler> taken = new AtomicReference<>();
            String body = registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi"), taken::set,
                    (response, bytes) -> {
                        assertThat(taken.get()).as("told before the reader runs").isNotNull();
                        return StandardCharsets.UTF_8.decode(bytes).toString();
                    });
            LoadedHandler version = taken.get();
            assertThat(version).isSameAs(body.startsWith("v2") ? split.canary() : split.primary());
            told.merge(version.generation(), 1, Integer::sum);
        }
        assertThat(told).containsOnlyKeys(split.primary().generation(), split.canary().generation());
        assertThat(split.canary().totalCalls()).isEqualTo((long) told.get(split.canary().generation()));

        // a 'taken' that throws: the caller gets its exception, the handler no failure, the version its place back
        IllegalStateException refused = new IllegalStateException("front closed");
        assertThatThrownBy(() -> registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi"),
                v -> {
                    throw refused;
                }, (response, bytes) -> "read")).isSameAs(refused);
        assertThat(split.primary().failedCalls() + split.canary().failedCalls()).isZero();
        assertThat(split.primary().activeRequests() + split.canary().activeRequests()).isZero();

        // no version took it: nothing told
        AtomicReference<LoadedHandler> none = new AtomicReference<>();
        assertThatThrownBy(() -> registry.execute("nobody", RequestContext.create(), HandlerRequest.of("hi"),
                none::set, (response, bytes) -> "read")).isInstanceOf(EndpointNotFoundException.class);
        assertThat(none.get()).isNull();
    }
}
