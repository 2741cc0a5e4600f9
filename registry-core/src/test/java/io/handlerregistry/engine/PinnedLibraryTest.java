package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;

/**
 * A library the platform loader keeps mapped after its unload (a C++ thread_local with a
 * destructor, or a Rust thread_local! holding a String, on a thread that lives on) is reported as PINNED, in its state and in the stats,
 * instead of being counted as gone; once that thread ended (and the loader unloaded something
 * since) it is gone for real.
 */
class PinnedLibraryTest {
    @TempDir
    Path copies;

    private NativeHandlerRegistry registry;

    @BeforeEach
    void start() {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ofMillis(50)).build();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    /** tls: a C++ thread_local std::string (g++); tls_rust: a thread_local! holding a String (rustc). */
    @ParameterizedTest
    @ValueSource(strings = {"tls", "tls_rust"})
    void aLibraryHeldByAThreadLocalIsPinnedUntilTheThreadEnds(String endpoint) throws Exception {
        Path library = TestLibraries.library(endpoint);
        assumeTrue(Files.exists(library), "rustc or g++ was not available to the build");
        LoadedHandler version = registry.loadFrom(endpoint, library);
        Path copy = version.loadedCopy().orElseThrow();
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        AtomicReference<String> answer = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            answer.set(new String(registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("x")).body(),
                    StandardCharsets.UTF_8));
            called.countDown();
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        caller.start();
        called.await();
        assertThat(answer.get()).isEqualTo("call;");

        registry.unload(endpoint);
        await().atMost(Duration.ofSeconds(10)).until(() -> version.state() == HandlerState.PINNED);
        assertThat(TestLibraries.mappingsOf(copy)).isNotEmpty();
        assertThat(registry.stats().pinnedCount()).isOne();
        assertThat(registry.stats().drainingCount()).isZero();
        assertThat(registry.handlers()).containsExactly(version);

        end.countDown();
        caller.join();
        // glibc unmaps it at its next unload of any library once the thread's destructors ran (the
        // native thread runs them after join() returned): here, another endpoint's, until it did
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            registry.loadFrom("echo", TestLibraries.library("echo"));
            registry.unload("echo");
            return registry.stats().pinnedCount() == 0;
        });
        registry.cleanupDrained(); // the last echo's unload is done
        assertThat(registry.handlers()).isEmpty();
        assertThat(TestLibraries.mappingsOf(copy)).isEmpty();
        assertThat(version.state()).isEqualTo(HandlerState.DRAINED);
    }

    @Test
    void aLibraryWithoutThreadLocalsIsNotPinned() {
        LoadedHandler version = registry.loadFrom("echo", TestLibraries.library("echo"));
        registry.execute("echo", RequestContext.create(), HandlerRequest.of("x"));
        registry.unload("echo");
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handlers().isEmpty());
        assertThat(version.state()).isEqualTo(HandlerState.DRAINED);
        assertThat(registry.stats().pinnedCount()).isZero();
    }
}
