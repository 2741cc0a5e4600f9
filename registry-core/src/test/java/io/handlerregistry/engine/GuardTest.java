package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.CallOutcomes;
import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.RequestContext;

/**
 * The guard: a swap to a version that fails rolls back by itself once enough of its calls failed within its
 * window, a correct one does not; a failing canary is aborted, a healthy one promoted; off by default.
 */
class GuardTest {
    /** Any failing call over 20 calls: the thresholds are not what these tests are about. */
    private static final GuardSettings ON = new GuardSettings(true, Duration.ofSeconds(600), 0.5, 20, Duration.ZERO,
            Duration.ZERO);

    @TempDir
    Path copies;
    @TempDir
    Path historyDir;

    private NativeHandlerRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry(GuardSettings guard) {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).historyDirectory(historyDir)
                .cleanupInterval(Duration.ofMillis(20)).guard(guard).guardInterval(Duration.ofMillis(20)).build();
    }

    private static Path failing() {
        return TestLibraries.dir().resolve("failing").resolve("libhandler_greeting.so");
    }

    /** Calls the endpoint {@code n} times; returns how many failed. */
    private int calls(int n) {
        int failed = 0;
        for (int i = 0; i < n; i++) {
            try {
                registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi"));
            } catch (HandlerFailedException e) {
                failed++;
            }
        }
        return failed;
    }

    /** Waits until the guard has looked a few more times. */
    private void guardLooks() {
        long until = registry.guardChecks() + 5;
        await().atMost(Duration.ofSeconds(60)).until(() -> registry.guardChecks() >= until);
    }

    private long guardRollbacks() {
        return registry.activity().rollbacks().getOrDefault("guard", 0L);
    }

    @Test
    void aSwapToAFailingBuildRollsBackByItselfWithinItsWindow() {
        registry = registry(ON);
        registry.loadFrom("greeting", version("v1", "greeting"));
        calls(10);
        registry.swap("greeting", failing());
        assertThat(calls(19)).isEqualTo(19); // fewer than guard.min.requests: it waits for more
        guardLooks();
        assertThat(guardRollbacks()).isZero();
        assertThat(registry.handler("greeting").orElseThrow().source()).contains("failing");

        calls(5);
        await().atMost(Duration.ofSeconds(60)).until(() -> guardRollbacks() == 1);
        assertThat(registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString())
                .startsWith("v1 hi");
        List<HistoryEntry> history = registry.history("greeting");
        assertThat(history.get(0).rollbackOf()).isEqualTo(1);
        assertThat(history.get(1).replacedBecause()).isEqualTo("rolled back by the guard to #1 (as #3)");
        assertThat(history.get(0).origin()).startsWith("guard rollback to #1: ");
        assertThat(registry.isPinned("greeting")).isTrue();
        assertThat(registry.activity().rollbacks()).isEqualTo(Map.of("guard", 1L));

        // the version a rollback made is not watched: failing calls on it (none here) could not bounce it back
        guardLooks();
        assertThat(guardRollbacks()).isEqualTo(1);
    }

    @Test
    void aSwapToACorrectBuildStays() {
        registry = registry(ON);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        assertThat(calls(200)).isZero();
        guardLooks();
        assertThat(guardRollbacks()).isZero();
        assertThat(registry.history("greeting")).hasSize(2);
        assertThat(registry.activity().rollbacks()).isEmpty();
    }

    @Test
    void theGuardIsOffByDefaultAndPerEndpoint() {
        registry = registry(GuardSettings.DEFAULTS);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", failing());
        assertThat(calls(100)).isEqualTo(100);
        guardLooks();
        assertThat(guardRollbacks()).isZero();

        registry.configureGuard(GuardSettings.DEFAULTS, Map.of("other", ON));
        guardLooks();
        assertThat(guardRollbacks()).isZero();

        registry.configureGuard(GuardSettings.DEFAULTS, Map.of("greeting", ON));
        calls(30);
        await().atMost(Duration.ofSeconds(60)).until(() -> guardRollbacks() == 1);
        assertThat(registry.history("greeting").get(0).rollbackOf()).isEqualTo(1);
    }

    @Test
    void aManualRollbackIsCountedAsOne() {
        registry = registry(GuardSettings.DEFAULTS);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        registry.rollback("greeting");
        assertThat(registry.activity().rollbacks()).isEqualTo(Map.of("manual", 1L));
    }

    @Test
    void aFailingCanaryIsAbortedAndAHealthyOnePromoted() {
        registry = registry(ON);
        registry.loadFrom("greeting", version("v1", "greeting"));
        CanarySplit bad = registry.split("greeting", failing(), 50);
        int failed = calls(200);
        assertThat(failed).isBetween(40, 160);
        await().atMost(Duration.ofSeconds(60)).until(() -> guardRollbacks() == 1);
        assertThat(registry.split("greeting")).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> bad.canary().state() == HandlerState.DRAINED);
        assertThat(calls(100)).isZero();
        assertThat(registry.handler("greeting")).containsSame(bad.primary());

        registry.configureGuard(new GuardSettings(true, Duration.ofSeconds(600), 0.5, 20, Duration.ofMillis(200),
                Duration.ZERO), Map.of());
        CanarySplit good = registry.split("greeting", version("v2", "greeting"), 50);
        assertThat(calls(100)).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() -> registry.activity().swaps().getOrDefault(
                new io.handlerregistry.api.RegistryActivity.SwapKind("promote", "ok"), 0L) == 1);
        assertThat(registry.handler("greeting")).containsSame(good.canary());
        assertThat(registry.split("greeting")).isEmpty();
        assertThat(guardRollbacks()).isEqualTo(1);
    }

    @Test
    void aWindowCountsTheCallsSinceItsStartOnly() {
        long s = 1_000_000_000L;
        Guard.Watch watch = new Guard.Watch(0);
        watch.sample(1 * s, new CallOutcomes(0, 10, 0, 0, 0)); // 10 failures at 1 s
        watch.sample(2 * s, new CallOutcomes(5, 10, 0, 0, 0));
        assertThat(watch.window(2 * s, 10 * s)).containsExactly(15, 10, 2 * s); // younger than its window: all of it
        watch.sample(12 * s, new CallOutcomes(25, 10, 0, 0, 0));
        // a 10 s window at 12 s starts at 2 s: the failures at 1 s are out of it
        assertThat(watch.window(12 * s, 10 * s)).containsExactly(20, 0, 10 * s);
        watch.sample(13 * s, new CallOutcomes(25, 11, 1, 2, 0)); // a crash, a handler error, 2 timeouts
        assertThat(watch.window(13 * s, 10 * s)).containsExactly(22, 4, 11 * s);
        assertThat(watch.total()).isEqualTo(37);
    }
}
