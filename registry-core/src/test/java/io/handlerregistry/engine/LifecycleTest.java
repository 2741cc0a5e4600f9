package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.RequestGuard;

/** handler_init and handler_shutdown run once each, at the right moments; other languages work too. */
class LifecycleTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    @Test
    void initRunsBeforeTheFirstCallAndShutdownOnlyAfterTheLastCallReturned() throws IOException {
        Path deployed = TestLibraries.install(TestLibraries.library("lifecycle"),
                work.resolve(HandlerRegistry.libraryFileName("life")));
        Path events = Path.of(deployed + ".events");
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(work).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build()) {
            LoadedHandler first = registry.load("life");
            assertThat(Files.readString(events)).isEqualTo("init\n");
            String answer = registry.execute("life", RequestContext.create(), HandlerRequest.of("")).bodyAsString();
            assertThat(answer).isEqualTo("endpoint=life path=" + deployed.toAbsolutePath() + " abi=1");

            RequestGuard inFlight = first.acquireRequest().orElseThrow();
            registry.swap("life", deployed);
            assertThat(Files.readString(events)).isEqualTo("init\ninit\n"); // the new one; the old still serves its call
            inFlight.close();
            assertThat(registry.cleanupDrained()).isEqualTo(1);
            assertThat(Files.readString(events)).isEqualTo("init\ninit\nshutdown\n");
        }
        assertThat(Files.readString(events)).isEqualTo("init\ninit\nshutdown\nshutdown\n"); // close unloads the last
    }

    @Test
    void aHandlerWrittenInRust() {
        Path library = TestLibraries.library("hello_rust");
        assumeTrue(Files.exists(library), "rustc was not available to the build");
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .build()) {
            registry.load("hello_rust");
            assertThat(registry.execute("hello_rust", RequestContext.create(), HandlerRequest.of("world"))
                    .bodyAsString()).isEqualTo("hello from rust, world");
        }
    }
}
