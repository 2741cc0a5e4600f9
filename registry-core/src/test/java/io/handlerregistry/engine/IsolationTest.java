package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.RequestGuard;

/**
 * Two builds of one library loaded side by side (as during a drain) keep their own globals and
 * their own exported functions, although both export the same names.
 */
class IsolationTest {
    @TempDir
    Path copies;

    @Test
    void versionsLoadedSideBySideShareNoSymbolsOrGlobals() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build()) {
            registry.loadFrom("first", version("v1", "greeting"));
            registry.loadFrom("second", version("v2", "greeting"));
            registry.loadFrom("third", version("v1", "greeting")); // same file, its own copy and globals

            for (int i = 0; i < 3; i++) {
                call(registry, "first");
            }
            // greeting_text() and greeting_calls are exported by every build; each sees its own
            assertThat(call(registry, "second")).isEqualTo("v2 x (call 1)");
            assertThat(call(registry, "first")).isEqualTo("v1 x (call 4)");
            assertThat(call(registry, "third")).isEqualTo("v1 x (call 1)");
        }
    }

    @Test
    void theDrainingVersionAndItsSuccessorDoNotShareGlobals() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build()) {
            LoadedHandler old = registry.loadFrom("greeting", version("v1", "greeting"));
            RequestGuard keepsOldLoaded = old.acquireRequest().orElseThrow();
            call(registry, "greeting");
            call(registry, "greeting");

            registry.swap("greeting", version("v1", "greeting")); // the same build again
            assertThat(old.state()).isEqualTo(HandlerState.DRAINING);
            assertThat(call(registry, "greeting")).isEqualTo("v1 x (call 1)");
            keepsOldLoaded.close();
        }
    }

    private static String call(NativeHandlerRegistry registry, String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("x")).bodyAsString();
    }
}
