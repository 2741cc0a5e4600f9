package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.mappingsOf;
import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;

/**
 * A call that outlived its caller's timeout still holds its library: swapping, unloading and
 * closing meanwhile never unmap code a thread is running.
 */
class NeverUnloadRunningCodeTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    @Test
    void aTimedOutCallKeepsItsLibraryLoadedUntilItReturns() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(work).copyDirectory(copies)
                .cleanupInterval(Duration.ofMillis(20)).build()) {
            LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
            Gate gate = new Gate(work, "timeout");

            // the gate is still closed, so this can only end by the timeout
            assertThatThrownBy(() -> registry.executeWithTimeout("slow", RequestContext.create(), gate.request(),
                    Duration.ofMillis(100)))
                    .isInstanceOfSatisfying(HandlerTimeoutException.class,
                            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(100)))
                    .hasMessageContaining("'slow'");
            assertThat(v1.activeRequests()).isEqualTo(1); // still inside native code

            registry.swap("slow", version("v2", "slow"));
            registry.unload("slow");
            assertThat(registry.cleanupDrained()).isZero();
            assertThat(v1.state()).isEqualTo(HandlerState.DRAINING);
            assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isNotEmpty();
            assertThat(v1.loadedCopy().orElseThrow()).exists();

            gate.open();
            await().until(() -> mappingsOf(v1.loadedCopy().orElseThrow()).isEmpty());
            assertThat(v1.loadedCopy().orElseThrow()).doesNotExist();
            assertThat(v1.state()).isEqualTo(HandlerState.DRAINED);
            await().until(() -> registry.stats().equals(new RegistryStats(0, 0, 0, 0)));
        }
    }

    @Test
    void closingTheRegistryDuringACallUnloadsOnlyAfterTheCallReturned() {
        NativeHandlerRegistry registry = NativeHandlerRegistry.builder(work).copyDirectory(copies)
                .closeTimeout(Duration.ofMillis(50)).build();
        LoadedHandler v1 = registry.loadFrom("slow", version("v1", "slow"));
        Gate gate = new Gate(work, "close");
        var inFlight = registry.executeAsync("slow", RequestContext.create(), gate.request());
        await().until(() -> v1.activeRequests() == 1);

        registry.close();

        assertThat(mappingsOf(v1.loadedCopy().orElseThrow())).isNotEmpty();
        assertThatThrownBy(() -> registry.execute("slow", RequestContext.create(), HandlerRequest.of("")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        gate.open();
        assertThat(inFlight.join().bodyAsString()).isEqualTo("v1");
        await().until(() -> mappingsOf(v1.loadedCopy().orElseThrow()).isEmpty());
        assertThat(v1.loadedCopy().orElseThrow()).doesNotExist();
    }
}
