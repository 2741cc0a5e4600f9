package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;
import io.handlerregistry.spi.Handler;

/** Handler objects (as OSGi services provide them) swap with native libraries and drain the same way. */
class HandlerObjectTest {
    @TempDir
    Path copies;

    @Test
    void aJavaHandlerReplacesANativeOneAndIsReplacedGracefully() throws Exception {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build()) {
            LoadedHandler nativeVersion = registry.loadFrom("greeting", version("v1", "greeting"));
            Handler java = (context, request) -> new HandlerResponse(201, List.of(new Header("x-java", "yes")),
                    request.body());

            assertThat(registry.swap("greeting", java, "java lambda", null)).isEqualTo(new SwapResult(true, 0, false));
            // unloaded on a lifecycle thread (handler_shutdown runs there): its copy goes right after
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> !Files.exists(nativeVersion.loadedCopy().orElseThrow()));
            HandlerResponse response = registry.execute("greeting", RequestContext.create(), HandlerRequest.of("b"));
            assertThat(response.status()).isEqualTo(201);
            assertThat(response.bodyAsString()).isEqualTo("b");
            LoadedHandler javaVersion = registry.handler("greeting").orElseThrow();
            assertThat(javaVersion.source()).isEqualTo("java lambda");
            assertThat(javaVersion.loadedCopy()).isEmpty();

            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean drainedSeen = new AtomicBoolean();
            Handler blocking = (context, request) -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new HandlerResponse(200, List.of(), new byte[0]);
            };
            registry.swap("greeting", blocking, "blocking", "1.0");
            LoadedHandler blockingVersion = registry.handler("greeting").orElseThrow();
            blockingVersion.whenDrained().thenRun(() -> drainedSeen.set(true));
            var call = registry.executeAsync("greeting", RequestContext.create(), HandlerRequest.of(""));
            inside.await();

            SwapResult result = registry.swapGraceful("greeting", version("v2", "greeting"), Duration.ofMillis(50));
            assertThat(result).isEqualTo(new SwapResult(true, 1, true));
            assertThat(drainedSeen).isFalse();
            release.countDown();
            call.get();
            assertThat(drainedSeen).isTrue();
            assertThat(registry.cleanupDrained()).isEqualTo(1);
            assertThat(registry.execute("greeting", RequestContext.create(), HandlerRequest.of("c")).bodyAsString())
                    .startsWith("v2 c");
        }
    }

    @Test
    void exceptionsOfAJavaHandlerReachTheCallerAndCount() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.create(TestLibraries.dir())) {
            registry.swap("java", (context, request) -> {
                throw new HandlerFailedException("java", 9, "no");
            }, "failing lambda", null);
            assertThatThrownBy(() -> registry.execute("java", RequestContext.create(), HandlerRequest.of("")))
                    .isInstanceOfSatisfying(HandlerFailedException.class, e -> assertThat(e.code()).isEqualTo(9));
            assertThat(registry.handler("java").orElseThrow().failedCalls()).isEqualTo(1);
        }
    }
}
