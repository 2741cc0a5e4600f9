package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;

/**
 * Bad input gets a specific error and changes nothing: for each broken library, the endpoint keeps
 * being served by the version that was active, through load, swap and graceful swap alike.
 */
class LoadFailuresTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;

    @BeforeEach
    void start() {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).build();
        registry.loadFrom("svc", TestLibraries.library("echo"));
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    static Stream<Arguments> brokenLibraries() {
        return Stream.of(
                Arguments.of("missing", Reason.FILE_NOT_FOUND, "does not exist"),
                Arguments.of("text", Reason.NOT_A_LIBRARY, "is not a shared library"),
                Arguments.of("no_entry", Reason.MISSING_EXPORT, "does not export handler_entry"),
                Arguments.of("no_abi", Reason.MISSING_EXPORT, "does not export handler_abi_version"),
                Arguments.of("abi_mismatch", Reason.ABI_MISMATCH, "ABI version 2, but this registry speaks ABI version 1"),
                Arguments.of("failing_init", Reason.INIT_FAILED,
                        "failed with code 7: configuration file handler.conf not found"),
                Arguments.of("unresolved", Reason.UNRESOLVED_SYMBOL, "function_that_exists_nowhere"),
                Arguments.of("missing_dep", Reason.MISSING_DEPENDENCY, "libdep_helper"),
                Arguments.of("foreign_arch", Reason.WRONG_ARCHITECTURE, "built for aarch64"),
                Arguments.of("elf32", Reason.WRONG_ARCHITECTURE, "32-bit"),
                // crafted or unusual files the loader would take: refused before it maps them
                Arguments.of("abi_data", Reason.MISSING_EXPORT, "exports handler_abi_version as data"),
                Arguments.of("unique", Reason.SHARED_SYMBOLS, "_ZZN7Counter4nextEvE1n"),
                Arguments.of("huge_phnum", Reason.NOT_A_LIBRARY, "malformed ELF headers (program header size 65535"),
                Arguments.of("bad_sections", Reason.NOT_A_LIBRARY, "malformed ELF headers (.dynsym of "));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("brokenLibraries")
    void aBrokenLibraryIsRefusedAndTheActiveVersionKeepsServing(String name, Reason reason, String message) {
        Path library = TestLibraries.library(name);
        for (Runnable attempt : Arrays.<Runnable>asList(
                () -> registry.swap("svc", library),
                () -> registry.swapGraceful("svc", library, Duration.ofSeconds(5)),
                () -> registry.loadFrom("other", library))) {
            assertThatThrownBy(attempt::run)
                    .isInstanceOfSatisfying(HandlerLoadException.class, e -> {
                        assertThat(e.reason()).isEqualTo(reason);
                        assertThat(e.file()).isEqualTo(library.toAbsolutePath());
                    })
                    .hasMessageContaining(message)
                    .hasMessageContaining(library.toAbsolutePath().toString());
            assertStillServing();
        }
        assertThat(registry.endpoints()).containsExactly("svc");
        assertThat(registry.stats()).isEqualTo(new RegistryStats(1, 0, 0, 0));
    }

    @Test
    void aHalfCopiedLibraryIsRefusedBeforeTheLoaderMapsIt() throws IOException {
        byte[] whole = Files.readAllBytes(TestLibraries.library("echo"));
        for (int length : new int[] {0, 3, 63, 64, 200, whole.length / 2, whole.length - 1}) {
            Path half = work.resolve("libhandler_half" + length + ".so");
            Files.write(half, Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> registry.swap("svc", half))
                    .isInstanceOfSatisfying(HandlerLoadException.class, e -> assertThat(e.reason())
                            .isIn(Reason.INCOMPLETE_FILE, Reason.NOT_A_LIBRARY))
                    .hasMessageContaining(half.toString());
            assertStillServing();
        }
    }

    @Test
    void loadDoesNotReplaceAnActiveVersion() {
        assertThatThrownBy(() -> registry.loadFrom("svc", TestLibraries.library("greeting")))
                .isInstanceOfSatisfying(HandlerLoadException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_LOADED))
                .hasMessageContaining("use swap");
        assertStillServing();
    }

    @Test
    void aFailedLoadLeavesNoCopyBehind() throws IOException {
        for (String name : new String[] {"text", "no_entry", "abi_mismatch", "failing_init", "unresolved"}) {
            assertThatThrownBy(() -> registry.swap("svc", TestLibraries.library(name)))
                    .isInstanceOf(HandlerLoadException.class);
        }
        try (Stream<Path> files = Files.list(copies)) {
            assertThat(files).containsExactly(registry.handler("svc").orElseThrow().loadedCopy().orElseThrow().getParent());
        }
    }

    private void assertStillServing() {
        HandlerResponse response = registry.execute("svc", RequestContext.create(), HandlerRequest.of("still here"));
        assertThat(response.bodyAsString()).isEqualTo("still here");
        assertThat(registry.handler("svc").orElseThrow().source()).isEqualTo(TestLibraries.library("echo").toAbsolutePath().toString());
    }
}
