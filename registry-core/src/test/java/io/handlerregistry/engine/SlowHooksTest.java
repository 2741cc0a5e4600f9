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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/**
 * Lifecycle hooks that take long hold up nobody else: handler_init has a timeout and runs without
 * the endpoint's lock, handler_shutdown runs on a lifecycle thread, and close keeps its timeout.
 */
class SlowHooksTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;
    /** Threads for calls that block (the common pool may have one thread on 2 cores). */
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws IOException {
        if (registry != null) {
            for (String gate : new String[] {"init-go", "shutdown-go"}) {
                Files.writeString(work.resolve("libhandler_hooks.so." + gate), "go");
            }
            registry.close();
        }
        callers.shutdownNow();
    }

    @Test
    void anInitPastItsTimeoutIsRefusedAndItsLibraryGoesWhenInitReturns() throws IOException {
        registry = registry(Duration.ofMillis(300), Duration.ofSeconds(30));
        registry.loadFrom("svc", TestLibraries.library("echo"));
        Path hooks = hooks("init-hold");

        assertThatThrownBy(() -> registry.swap("svc", hooks)).isInstanceOfSatisfying(HandlerLoadException.class,
                e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.INIT_TIMEOUT))
                .hasMessageContaining("did not return within 300 ms").hasMessageContaining("keeps serving");
        assertThat(call("svc")).isEqualTo("ok"); // echo still serves
        assertThat(mappedCopies()).isOne(); // init is still inside

        Files.writeString(work.resolve("libhandler_hooks.so.init-go"), "go");
        await().atMost(Duration.ofSeconds(10)).until(() -> mappedCopies() == 0);
        assertThat(events()).isEqualTo("init\ninit returned\nshutdown\nshutdown returned\n");
    }

    @Test
    void aSlowInitHoldsNoLockOthersOfTheEndpointNeed() throws Exception {
        registry = registry(Duration.ofSeconds(30), Duration.ofSeconds(30));
        registry.loadFrom("svc", TestLibraries.library("echo"));
        Path hooks = hooks("init-hold");

        CompletableFuture<SwapResult> swap = CompletableFuture.supplyAsync(() -> registry.swap("svc", hooks), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> events().equals("init\n"));
        assertThat(registry.unload("svc")).isTrue(); // does not wait for that init
        registry.loadFrom("svc", TestLibraries.library("echo"));
        assertThat(call("svc")).isEqualTo("ok");
        assertThat(swap).isNotDone();

        Files.writeString(work.resolve("libhandler_hooks.so.init-go"), "go");
        // the unload and load asked for after it took effect first: it must not undo them (SwapOrderTest)
        assertThat(swap).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(HandlerLoadException.class,
                        e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.SUPERSEDED));
        assertThat(call("svc")).isEqualTo("ok");
    }

    @Test
    void aSlowShutdownRunsOffTheThreadThatSwapped() throws Exception {
        registry = registry(Duration.ofSeconds(30), Duration.ofSeconds(30));
        Path hooks = hooks("shutdown-hold");
        registry.loadFrom("svc", hooks);

        SwapResult result = registry.swap("svc", TestLibraries.library("echo")); // returns: shutdown waits elsewhere
        assertThat(result.swapped()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> events().endsWith("shutdown\n"));
        assertThat(call("svc")).isEqualTo("ok");

        Files.writeString(work.resolve("libhandler_hooks.so.shutdown-go"), "go");
        await().atMost(Duration.ofSeconds(10)).until(() -> events().endsWith("shutdown returned\n"));
        await().atMost(Duration.ofSeconds(10)).until(() -> mappedCopies() == 0);
    }

    @Test
    void closeKeepsItsTimeoutWhileAnInitHangs() throws Exception {
        registry = registry(Duration.ofSeconds(60), Duration.ofMillis(200));
        Path hooks = hooks("init-hold");
        CompletableFuture<Object> load = CompletableFuture.supplyAsync(() -> registry.loadFrom("svc", hooks), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> events().equals("init\n"));

        registry.close(); // returns within its timeout: nothing waits for that init
        assertThat(load).isNotDone();

        Files.writeString(work.resolve("libhandler_hooks.so.init-go"), "go");
        assertThat(load).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .withMessageContaining("the handler registry is closed");
        await().atMost(Duration.ofSeconds(10)).until(() -> mappedCopies() == 0);
    }

    private NativeHandlerRegistry registry(Duration initTimeout, Duration closeTimeout) {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).initTimeout(initTimeout)
                .closeTimeout(closeTimeout).cleanupInterval(Duration.ofMillis(50)).build();
    }

    /** The hooks library in the work directory, with one of its hold files. */
    private Path hooks(String holdFile) throws IOException {
        Path library = TestLibraries.install(TestLibraries.library("hooks"), work.resolve("libhandler_hooks.so"));
        Files.writeString(work.resolve("libhandler_hooks.so." + holdFile), "hold");
        return library;
    }

    private String events() throws IOException {
        Path events = work.resolve("libhandler_hooks.so.events");
        return Files.exists(events) ? Files.readString(events) : "";
    }

    private long mappedCopies() throws IOException {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(copies.toString()) && l.contains("libhandler_hooks.so"))
                    .map(l -> l.substring(l.indexOf('/'))).distinct().count();
        }
    }

    private String call(String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("ok")).bodyAsString();
    }
}
