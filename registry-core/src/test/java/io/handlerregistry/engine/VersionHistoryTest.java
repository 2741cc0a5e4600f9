package io.handlerregistry.engine;

import static io.handlerregistry.engine.TestLibraries.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/**
 * The version history of an endpoint: an entry per version that served (source, SHA-256 of the library,
 * when it served, why it was replaced), at most history.size of them, with the library of each kept on
 * disk (not loaded) while an entry names it; written to the history directory and read again by a
 * registry started on it.
 */
class VersionHistoryTest {
    @TempDir
    Path copies;
    @TempDir
    Path historyDir;

    private NativeHandlerRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry(int size) {
        return NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).historyDirectory(historyDir)
                .historySize(size).cleanupInterval(Duration.ofMillis(20)).build();
    }

    @Test
    void everyVersionThatServedGetsAnEntryWithItsSourceShaTimesAndWhyItWasReplaced() throws Exception {
        registry = registry(5);
        Instant start = Instant.now();
        Path v1 = version("v1", "greeting");
        Path v2 = version("v2", "greeting");
        registry.loadFrom("greeting", v1);
        registry.swapGraceful("greeting", v2, Duration.ofSeconds(10));
        registry.swap("greeting", (context, request) -> new HandlerResponse(200, List.of(), request.body()),
                "a Java handler", "3.0");
        registry.swap("greeting", v1, Isolation.PROCESS);
        registry.unload("greeting");

        List<HistoryEntry> history = registry.history("greeting");
        assertThat(history).extracting(HistoryEntry::number).containsExactly(4, 3, 2, 1);
        HistoryEntry first = history.get(3);
        assertThat(first.source()).isEqualTo(HistoryEntry.Source.API);
        assertThat(first.origin()).isEqualTo(v1.toAbsolutePath().toString());
        assertThat(first.version()).isEmpty();
        assertThat(first.sha256()).isEqualTo(Provenance.sha256(v1));
        assertThat(first.isolation()).isEqualTo(Isolation.IN_PROCESS);
        assertThat(first.replacedBecause()).isEqualTo("replaced by #2: " + v2.toAbsolutePath());
        assertThat(history.get(2).sha256()).isEqualTo(Provenance.sha256(v2)).isNotEqualTo(first.sha256());
        assertThat(history.get(2).replacedBecause()).isEqualTo("replaced by #3: a Java handler");
        HistoryEntry java = history.get(1);
        assertThat(java.sha256()).isNull();
        assertThat(java.kept()).isFalse();
        assertThat(java.version()).isEqualTo("3.0");
        HistoryEntry last = history.get(0);
        assertThat(last.isolation()).isEqualTo(Isolation.PROCESS);
        assertThat(last.sha256()).isEqualTo(first.sha256());
        assertThat(last.replacedBecause()).isEqualTo("unloaded");
        assertThat(history).noneMatch(HistoryEntry::serving);
        // times: each served from when the one before it stopped, in order, all since the start
        for (int i = 0; i < history.size() - 1; i++) {
            assertThat(history.get(i + 1).servedTo()).isEqualTo(history.get(i).servedFrom());
        }
        assertThat(first.servedFrom()).isAfterOrEqualTo(start);
        assertThat(last.servedTo()).isBeforeOrEqualTo(Instant.now());
        // kept on disk while unloaded: a file with that SHA-256, mapped by nobody
        assertThat(first.kept()).isTrue();
        Path kept = keptFile("greeting", first.sha256());
        assertThat(Provenance.sha256(kept)).isEqualTo(first.sha256());
        registry.cleanupDrained();
        assertThat(TestLibraries.mappingsOf(kept)).isEmpty();
        assertThat(registry.handlers()).isEmpty();
    }

    @Test
    void theServingEntryIsOpenAndAnUnknownEndpointHasNone() {
        registry = registry(5);
        registry.loadFrom("greeting", version("v1", "greeting"));
        assertThat(registry.history("greeting")).singleElement().satisfies(e -> {
            assertThat(e.serving()).isTrue();
            assertThat(e.servedTo()).isNull();
            assertThat(e.replacedBecause()).isNull();
            assertThat(e.kept()).isTrue();
        });
        assertThat(registry.history("nosuch")).isEmpty();
        assertThatThrownBy(() -> registry.history("no such")).hasMessageContaining("no such");
    }

    @Test
    void atMostHistorySizeVersionsAreKeptAndTheLibrariesOfOlderOnesAreDeleted() throws Exception {
        registry = registry(2);
        Path v1 = version("v1", "greeting");
        Path v2 = version("v2", "greeting");
        Path echo = TestLibraries.library("echo");
        registry.loadFrom("greeting", v1);
        registry.swap("greeting", v2);
        assertThat(keptShas("greeting")).containsExactlyInAnyOrder(Provenance.sha256(v1), Provenance.sha256(v2));

        registry.swap("greeting", echo);
        assertThat(registry.history("greeting")).extracting(HistoryEntry::number).containsExactly(3, 2);
        assertThat(keptShas("greeting")).containsExactlyInAnyOrder(Provenance.sha256(v2), Provenance.sha256(echo));

        registry.swap("greeting", v2); // the same library twice: one kept file
        assertThat(registry.history("greeting")).extracting(HistoryEntry::number).containsExactly(4, 3);
        assertThat(keptShas("greeting")).containsExactlyInAnyOrder(Provenance.sha256(v2), Provenance.sha256(echo));

        registry.configureHistory(1); // applies at once
        assertThat(registry.history("greeting")).extracting(HistoryEntry::number).containsExactly(4);
        assertThat(keptShas("greeting")).containsExactly(Provenance.sha256(v2));
        assertThatThrownBy(() -> registry.configureHistory(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theHistoryIsWrittenAndARegistryStartedOnTheSameDirectoryContinuesIt() throws Exception {
        registry = registry(5);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.swap("greeting", version("v2", "greeting"));
        registry.close();
        List<HistoryEntry> before = registry.history("greeting");
        assertThat(before.get(0).replacedBecause()).isEqualTo("the registry stopped");

        registry = registry(5);
        assertThat(registry.history("greeting")).isEqualTo(before);
        assertThat(registry.restorePinned()).isEmpty(); // no rollback: nothing is loaded by itself
        assertThat(registry.isLoaded("greeting")).isFalse();

        registry.loadFrom("greeting", version("v2", "greeting")); // the same library: the entry goes on
        List<HistoryEntry> after = registry.history("greeting");
        assertThat(after).extracting(HistoryEntry::number).containsExactly(2, 1);
        assertThat(after.get(0).serving()).isTrue();
        assertThat(after.get(0).servedFrom()).isEqualTo(before.get(0).servedFrom());

        registry.swap("greeting", version("v1", "greeting"));
        assertThat(registry.history("greeting")).extracting(HistoryEntry::number).containsExactly(3, 2, 1);
    }

    @Test
    void aVersionUnloadedBecauseTheApplicationStopsGoesOnAfterTheRestartAnExplicitUnloadDoesNot() throws Exception {
        registry = registry(5);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.loadFrom("echo", TestLibraries.library("echo"));
        registry.unload("greeting", "the framework stopped", true); // its handler bundle stopped first
        registry.unload("echo");
        registry.close();

        registry = registry(5);
        registry.loadFrom("greeting", version("v1", "greeting"));
        registry.loadFrom("echo", TestLibraries.library("echo"));
        assertThat(registry.history("greeting")).singleElement().matches(HistoryEntry::serving);
        assertThat(registry.history("echo")).extracting(HistoryEntry::number).containsExactly(2, 1);
        assertThat(registry.history("echo").get(1).replacedBecause()).isEqualTo("unloaded");
    }

    @Test
    void aRegistryThatDidNotStopCleanlyLeavesItsServingEntryClosedAtTheNextStart() throws Exception {
        registry = registry(5);
        registry.loadFrom("greeting", version("v1", "greeting"));
        // what a killed JVM leaves: the file as written after the load, read by a second registry
        NativeHandlerRegistry second = registry(5);
        try {
            assertThat(second.history("greeting")).singleElement().satisfies(e -> {
                assertThat(e.serving()).isFalse();
                assertThat(e.replacedBecause()).isEqualTo("the registry stopped");
            });
        } finally {
            second.close();
        }
    }

    private Path keptFile(String endpoint, String sha) throws IOException {
        try (Stream<Path> files = Files.list(historyDir.resolve(endpoint).resolve(sha))) {
            return files.filter(f -> !f.getFileName().toString().startsWith(".")).findFirst().orElseThrow();
        }
    }

    private List<String> keptShas(String endpoint) throws IOException {
        try (Stream<Path> files = Files.list(historyDir.resolve(endpoint))) {
            return files.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toList());
        }
    }

    static String call(NativeHandlerRegistry registry, String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }
}
