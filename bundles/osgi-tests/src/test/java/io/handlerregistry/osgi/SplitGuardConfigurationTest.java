package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.RequestContext;

/**
 * Canary splits and the guard set through Config Admin (PID io.handlerregistry.registry): a split entry is
 * made when it is new or changed (once its endpoint is loaded), removed when the entry goes; the guard rolls a
 * failing handler bundle back by itself; wrong values are one log line and change nothing.
 */
class SplitGuardConfigurationTest {
    private static final String PID = "io.handlerregistry.registry";

    @TempDir
    Path storage;

    private OsgiFramework osgi;

    @AfterEach
    void stop() throws Exception {
        if (osgi != null) {
            osgi.close();
        }
    }

    /** greeting 1.0.0 then 2.0.0: the history keeps 1.0.0 (#1) and 2.0.0 (#2) serves. */
    private HandlerRegistry greetingTwice() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        osgi.installHandler("handler-greeting-v1").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        osgi.installHandler("handler-greeting-v2").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> call(registry).startsWith("v2"));
        return registry;
    }

    @Test
    void aConfiguredSplitIsMadeChangedAndRemovedAndWrongOnesChangeNothing() throws Exception {
        HandlerRegistry registry = greetingTwice();

        osgi.configure(PID, Map.of("splits", "greeting=1.0.0:30"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.split("greeting").isPresent());
        CanarySplit split = registry.split("greeting").orElseThrow();
        assertThat(split.percent()).isEqualTo(30.0);
        assertThat(split.canary().version()).hasValue("1.0.0");
        assertThat(split.origin()).startsWith("#1 (1.0.0): ");
        await().atMost(Duration.ofSeconds(30)).until(() -> call(registry).startsWith("v1"));

        osgi.configure(PID, Map.of("splits", "greeting=1.0.0:60"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.split("greeting").orElseThrow().percent() == 60);
        assertThat(registry.split("greeting").orElseThrow().canary()).isSameAs(split.canary()); // not loaded again

        try (LogLines log = LogLines.capture()) {
            osgi.configure(PID, Map.of("splits", "greeting=1.0.0"));
            await().until(() -> !log.containing("splits=").isEmpty());
            assertThat(log.containing("splits=")).singleElement().asString().startsWith(PID + ": splits=greeting=1.0.0"
                    + " is refused: 'greeting=1.0.0' is wrong (no :percent after the canary); write endpoint=canary:percent")
                    .endsWith("; splits stays greeting=1.0.0:60");
            log.clear();
            osgi.configure(PID, Map.of("splits", "greeting=9.9.9:20"));
            await().until(() -> !log.containing("cannot take effect").isEmpty());
            assertThat(log.containing("cannot take effect")).singleElement().asString().startsWith(PID
                    + ": splits greeting=9.9.9:20 cannot take effect: endpoint 'greeting' has no version '9.9.9'")
                    .endsWith("endpoint 'greeting' stays as it was");
        }
        assertThat(registry.split("greeting").orElseThrow().canary()).isSameAs(split.canary());
        assertThat(registry.split("greeting").orElseThrow().percent()).isEqualTo(60.0);

        osgi.configure(PID, Map.of("splits", ""));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.split("greeting").isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.handlers().size() == 1);
        for (int i = 0; i < 20; i++) {
            assertThat(call(registry)).startsWith("v2");
        }
    }

    @Test
    void aSplitForAnEndpointNotLoadedIsMadeOnceItIs() throws Exception {
        HandlerRegistry registry = greetingTwice();
        Bundle v2 = java.util.Arrays.stream(osgi.context().getBundles())
                .filter(b -> b.getVersion().toString().equals("2.0.0")).findFirst().orElseThrow();
        v2.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> !registry.isLoaded("greeting"));

        osgi.configure(PID, Map.of("splits", "greeting=1:25"));
        v2.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.split("greeting").isPresent());
        assertThat(registry.split("greeting").orElseThrow().percent()).isEqualTo(25.0);
        assertThat(registry.split("greeting").orElseThrow().canary().version()).hasValue("1.0.0");
    }

    @Test
    void theGuardRollsAFailingHandlerBundleBackByItself() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        osgi.configure(PID, Map.of("guard.endpoints", "greeting min.requests=5 max.failure.ratio=0.5"));
        osgi.installHandler("handler-greeting-v1").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        try (LogLines log = LogLines.capture()) {
            osgi.installHandler("handler-greeting-failing").start(); // 2.1.0: serves, and fails every call
            await().atMost(Duration.ofSeconds(30)).until(() -> registry.handler("greeting").orElseThrow().version()
                    .orElse("").equals("2.1.0"));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try {
                    return call(registry).startsWith("v1");
                } catch (HandlerException failing) {
                    return false;
                }
            });
            // v1 answers as soon as the rollback took effect; the guard counts it and logs why right after
            await().atMost(Duration.ofSeconds(30)).until(() -> !log.containing("the guard rolled back").isEmpty());
            assertThat(registry.activity().rollbacks()).isEqualTo(Map.of("guard", 1L));
            HistoryEntry serving = registry.history("greeting").get(0);
            assertThat(serving.rollbackOf()).isEqualTo(1);
            assertThat(log.containing("the guard rolled back")).singleElement().asString()
                    .contains("endpoint 'greeting'", "#2 (2.1.0)", "calls failed", "guard.window.s 60",
                            "a rollback to #1", "fix");
        }
        // pinned: the failing bundle stands by, the endpoint stays on 1.0.0
        for (int i = 0; i < 20; i++) {
            assertThat(call(registry)).startsWith("v1");
        }

        // a wrong guard value changes nothing: the guard is still on with what was in force
        try (LogLines log = LogLines.capture()) {
            osgi.configure(PID, Map.of("guard.endpoints", "greeting min.requests=5 max.failure.ratio=0.5",
                    "guard.max.failure.ratio", "2", "guard.window.s", "never"));
            await().until(() -> log.containing(" is refused: ").size() == 2);
            assertThat(log.containing("guard.max.failure.ratio=2")).singleElement().asString().isEqualTo(PID
                    + ": guard.max.failure.ratio=2 is refused: it needs a number more than 0 and at most 1 (e.g. 0.1"
                    + " for 10 %); guard.max.failure.ratio stays 0.1");
        }
    }

    private static String call(HandlerRegistry registry) {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }
}
