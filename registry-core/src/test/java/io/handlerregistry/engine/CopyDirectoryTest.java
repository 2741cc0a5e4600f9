package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * Where the private copies go: each version in a directory of its own under the library's own name
 * (so $ORIGIN finds its neighbours and long names fit), recreated when something deleted it, checked
 * at start, and left clean after close.
 */
class CopyDirectoryTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    @Test
    void aLibraryFindsTheDependencyBesideItThroughOrigin() {
        try (NativeHandlerRegistry registry = registry()) {
            registry.loadFrom("origin", TestLibraries.dir().resolve("origin")
                    .resolve(io.handlerregistry.api.HandlerRegistry.libraryFileName("origin")));
            assertThat(call(registry, "origin")).isEqualTo("found my neighbour");
            Path copy = registry.handler("origin").orElseThrow().loadedCopy().orElseThrow();
            assertThat(copy.getFileName().toString()).isEqualTo("libhandler_origin.so");
            assertThat(copy.getParent().resolve("liborigin_dep.so")).isSymbolicLink();
            registry.unload("origin");
            registry.cleanupDrained();
            assertThat(copy.getParent()).doesNotExist(); // links and all; what they point to stays
            assertThat(TestLibraries.dir().resolve("origin/liborigin_dep.so")).exists();
        }
    }

    @Test
    void aLibraryWithALongFileNameLoads() throws IOException {
        Path longName = work.resolve("libhandler_" + "x".repeat(229) + ".so"); // 243 characters
        Files.copy(TestLibraries.library("echo"), longName);
        assertThat(longName.getFileName().toString()).hasSize(243);
        try (NativeHandlerRegistry registry = registry()) {
            registry.loadFrom("long", longName);
            assertThat(registry.execute("long", RequestContext.create(), HandlerRequest.of("ok")).bodyAsString())
                    .isEqualTo("ok");
        }
    }

    @Test
    void theCopyDirectoryDeletedByACleanerIsMadeAgain() throws IOException {
        try (NativeHandlerRegistry registry = registry()) {
            registry.loadFrom("echo", TestLibraries.library("echo"));
            deleteTree(copies); // a temp cleaner; the loaded copy stays mapped
            registry.swap("echo", TestLibraries.library("echo"));
            assertThat(registry.execute("echo", RequestContext.create(), HandlerRequest.of("again")).bodyAsString())
                    .isEqualTo("again");
            assertThat(copies).isDirectory();
        }
    }

    @Test
    void aLargeFileThatIsNoLibraryIsRefusedAndLeavesNothing() throws IOException {
        Path big = work.resolve("libhandler_big.so");
        Files.write(big, new byte[8 << 20]);
        try (NativeHandlerRegistry registry = registry()) {
            assertThatThrownBy(() -> registry.loadFrom("big", big)).isInstanceOfSatisfying(HandlerLoadException.class,
                    e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.NOT_A_LIBRARY));
        }
        try (Stream<Path> files = Files.list(copies)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aCloseThatTimedOutStillLeavesNoDirectoryBehind() throws Exception {
        Path gate = work.resolve("gate");
        NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir())
                .closeTimeout(Duration.ofMillis(100)).build(); // its own temporary copy directory
        registry.load("slow");
        Path directory = registry.handler("slow").orElseThrow().loadedCopy().orElseThrow().getParent().getParent();
        Thread call = new Thread(() -> registry.execute("slow", RequestContext.create(),
                HandlerRequest.of("wait:" + gate)));
        call.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(Path.of(gate + ".inside")));
        registry.close(); // times out: the call is still inside
        assertThat(directory).isDirectory();
        Files.writeString(gate, "open");
        call.join();
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(directory));
    }

    @Test
    void aNoexecMountIsFoundForTheDirectory() {
        List<String> mounts = List.of("/dev/sda1 / ext4 rw,relatime 0 0",
                "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime 0 0",
                "/dev/sdb1 /tmp/exec ext4 rw,relatime 0 0");
        assertThat(CopyDirectory.noexecMountOf(Path.of("/tmp/handler-registry-1"), mounts)).isEqualTo("/tmp");
        assertThat(CopyDirectory.noexecMountOf(Path.of("/tmp/exec/copies"), mounts)).isNull();
        assertThat(CopyDirectory.noexecMountOf(Path.of("/var/lib/x"), mounts)).isNull();
    }

    @Test
    void aCopyDirectoryThatCannotBeWrittenIsRefusedAtStart() throws IOException {
        Path file = Files.writeString(work.resolve("a-file"), "not a directory");
        assertThatThrownBy(() -> NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(file.resolve("x"))
                .build()).hasMessageContaining("is not writable").hasMessageContaining("copy directory");
    }

    private NativeHandlerRegistry registry() {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .cleanupInterval(Duration.ZERO).build();
    }

    private static String call(NativeHandlerRegistry registry, String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("x")).bodyAsString();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
