package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.assertj.core.api.ThrowableAssertAlternative;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/**
 * Loads, swaps and unloads of one endpoint take effect in the order they were asked for: one whose
 * library is still loading (here: a handler_init held open) when a later one takes effect is
 * discarded when its load ends and its caller is told, instead of ending on top. In-process and in
 * process isolation.
 */
class SwapOrderTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws IOException {
        Files.writeString(work.resolve("libhandler_hooks.so.init-go"), "go");
        if (registry != null) {
            registry.close();
        }
        callers.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aSlowSwapOvertakenByALaterSwapIsSupersededAndTheLaterOneStays(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        Path slow = slowInit();

        CompletableFuture<?> first = CompletableFuture.supplyAsync(() -> registry.swap("svc", slow, isolation), callers);
        awaitInitStarted();
        registry.swap("svc", TestLibraries.version("v2", "greeting"), isolation);
        assertThat(call("svc")).startsWith("v2");

        letInitReturn();
        assertSuperseded(first)
                .withMessageContaining("endpoint 'svc': the swap to " + slow + " did not take effect")
                .withMessageContaining("a swap to " + TestLibraries.version("v2", "greeting"))
                .withMessageContaining("is served by " + TestLibraries.version("v2", "greeting"));
        assertThat(call("svc")).startsWith("v2");
        // the discarded version is unloaded: its handler_shutdown ran, and it is nowhere to be seen
        await().atMost(Duration.ofSeconds(30)).until(() -> events().endsWith("shutdown returned\n"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.handlers().stream()
                .map(LoadedHandler::source).noneMatch(slow.toString()::equals));
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aSlowSwapOvertakenByAnUnloadLeavesTheEndpointUnloaded(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        Path slow = slowInit();

        CompletableFuture<?> first = CompletableFuture.supplyAsync(
                () -> registry.swapGraceful("svc", slow, Duration.ofSeconds(5), isolation), callers);
        awaitInitStarted();
        assertThat(registry.unload("svc")).isTrue();

        letInitReturn();
        assertSuperseded(first)
                .withMessageContaining("an unload, asked for after it, took effect first")
                .withMessageContaining("the endpoint is not loaded");
        assertThat(registry.isLoaded("svc")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aSlowLoadOvertakenByASwapIsSuperseded(Isolation isolation) throws Exception {
        registry = registry();
        Path slow = slowInit();

        CompletableFuture<?> first = CompletableFuture.supplyAsync(() -> registry.loadFrom("svc", slow, isolation),
                callers);
        awaitInitStarted();
        registry.swap("svc", TestLibraries.version("v2", "greeting"), isolation);

        letInitReturn();
        assertSuperseded(first)
                .withMessageContaining("the load of " + slow + " did not take effect");
        assertThat(call("svc")).startsWith("v2");
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aLaterSwapThatIsRefusedSupersedesNothing(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        Path slow = slowInit();

        CompletableFuture<?> first = CompletableFuture.supplyAsync(() -> registry.swap("svc", slow, isolation), callers);
        awaitInitStarted();
        Path missing = work.resolve("libhandler_missing.so");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.swap("svc", missing, isolation))
                .isInstanceOf(HandlerLoadException.class);

        letInitReturn();
        assertThat(first).succeedsWithin(Duration.ofSeconds(30));
        assertThat(call("svc")).isEqualTo("hooks"); // asked first, refused nothing: it takes effect
    }

    private NativeHandlerRegistry registry() {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ofMillis(50)).build();
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aSlowSplitOvertakenByALaterSwapIsSupersededAndTheSwapStays(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        Path slow = slowInit();

        CompletableFuture<?> split = CompletableFuture.supplyAsync(() -> registry.split("svc", slow, 50), callers);
        awaitInitStarted();
        registry.swap("svc", TestLibraries.version("v2", "greeting"), isolation);
        letInitReturn();
        assertSuperseded(split)
                .withMessageContaining("the canary split to " + slow + " did not take effect");
        assertThat(registry.split("svc")).isEmpty();
        for (int i = 0; i < 50; i++) {
            assertThat(call("svc")).startsWith("v2");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> events().endsWith("shutdown returned\n"));
    }

    /** An abort asked for while the split's canary still loads goes after the split: the split never takes effect. */
    @ParameterizedTest
    @EnumSource(Isolation.class)
    void anAbortAskedWhileTheSplitsCanaryLoadsSupersedesTheSplit(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        Path slow = slowInit();

        CompletableFuture<?> split = CompletableFuture.supplyAsync(() -> registry.split("svc", slow, 50), callers);
        awaitInitStarted();
        SwapResult aborted = registry.abort("svc");
        assertThat(aborted.swapped()).as("nothing was split yet: nothing drains").isFalse();
        letInitReturn();
        assertSuperseded(split)
                .withMessageContaining("the abort of a canary split whose canary was still loading");
        assertThat(registry.split("svc")).isEmpty();
        for (int i = 0; i < 50; i++) {
            assertThat(call("svc")).startsWith("v1");
        }
        await("the discarded canary gone").atMost(Duration.ofSeconds(30)).until(() -> registry.handlers().size() == 1);
        // with nothing loading, an abort without a split is refused as before
        assertThatThrownBy(() -> registry.abort("svc")).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.NO_SPLIT));
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void aPromoteAskedAfterASlowSwapTakesEffectAndTheSwapIsSuperseded(Isolation isolation) throws Exception {
        registry = registry();
        registry.loadFrom("svc", TestLibraries.version("v1", "greeting"), isolation);
        registry.split("svc", TestLibraries.version("v2", "greeting"), 50);
        Path slow = slowInit();

        CompletableFuture<?> swap = CompletableFuture.supplyAsync(() -> registry.swap("svc", slow, isolation), callers);
        awaitInitStarted();
        registry.promote("svc");
        letInitReturn();
        assertSuperseded(swap)
                .withMessageContaining("the promotion of the canary");
        for (int i = 0; i < 50; i++) {
            assertThat(call("svc")).startsWith("v2");
        }
    }

    /** A change that ended {@link HandlerLoadException.Reason#SUPERSEDED}: its exception, for its message. */
    private static ThrowableAssertAlternative<?> assertSuperseded(CompletableFuture<?> change) {
        return assertThat(change).failsWithin(Duration.ofSeconds(30)).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(HandlerLoadException.class,
                        e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.SUPERSEDED));
    }

    /** The hooks library, whose handler_init waits until {@link #letInitReturn()}. */
    private Path slowInit() throws IOException {
        Path library = TestLibraries.install(TestLibraries.library("hooks"), work.resolve("libhandler_hooks.so"));
        Files.writeString(work.resolve("libhandler_hooks.so.init-hold"), "hold");
        return library;
    }

    private void awaitInitStarted() {
        await().atMost(Duration.ofSeconds(30)).until(() -> events().equals("init\n"));
    }

    private void letInitReturn() throws IOException {
        Files.writeString(work.resolve("libhandler_hooks.so.init-go"), "go");
    }

    private String events() throws IOException {
        Path events = work.resolve("libhandler_hooks.so.events");
        return Files.exists(events) ? Files.readString(events) : "";
    }

    private String call(String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("x")).bodyAsString();
    }
}
