package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.RequestContext;

/** handler:history and handler:rollback as typed at the prompt, on a real registry and real libraries. */
class HistoryCommandsTest {
    private GogoShell shell;
    private Path v1;
    private Path v2;

    @BeforeEach
    void start() throws Exception {
        shell = new GogoShell();
        v1 = GogoShell.NATIVE.resolve("v1").resolve(WrongOptionValuesTest.libraryName("greeting")).toAbsolutePath();
        v2 = GogoShell.NATIVE.resolve("v2").resolve(WrongOptionValuesTest.libraryName("greeting")).toAbsolutePath();
        shell.run("handler:load greeting " + v1);
        shell.run("handler:swap greeting " + v2);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void historyListsTheVersionsNewestFirst() throws Exception {
        String table = shell.run("handler:history greeting");
        List<HistoryEntry> entries = shell.registry.history("greeting");
        assertThat(table.lines().findFirst().orElseThrow()).contains("#", "version", "state", "source", "sha-256",
                "served from", "to", "replaced because", "origin");
        assertThat(table).contains("serving", "kept", "replaced by #2: " + v2, entries.get(1).sha256().substring(0, 12));
        assertThat(table.indexOf(" serving ")).isLessThan(table.indexOf(" kept "));

        String rows = shell.run("handler:history --no-format greeting");
        assertThat(rows.lines()).hasSize(2);
        assertThat(rows.lines().findFirst().orElseThrow().split("\t")).startsWith("2", "-", "serving", "API",
                entries.get(0).sha256());
    }

    @Test
    void rollbackGoesToThePreviousOrANamedVersionAndSaysWhatItDid() throws Exception {
        assertThat(call()).startsWith("v2");
        assertThat(shell.run("handler:rollback greeting")).startsWith("endpoint 'greeting' rolled back to #1, serving as"
                + " #3; the replaced version ").contains("pinned", "handler:history greeting");
        assertThat(call()).startsWith("v1");
        assertThat(shell.run("handler:rollback --graceful greeting 2")).startsWith("endpoint 'greeting' rolled back to"
                + " #2, serving as #4; the replaced version is unloaded");
        assertThat(call()).startsWith("v2");
        assertThat(shell.run("handler:history greeting")).contains("serving, pinned", "rollback to #2: " + v2,
                "rolled back to #2 (as #4)");
        assertThat(shell.run("handler:rollback --help")).startsWith("handler:rollback [-g] [-t timeout] <endpoint id>");
        assertThat(shell.run("handler:history --help")).startsWith("handler:history");
    }

    @Test
    void tabOffersTheKeptVersionsThatDoNotServe() {
        assertThat(shell.commands._complete(List.of("handler:rollback", "greeting", ""), 2)).containsExactly("1");
        assertThat(shell.commands._complete(List.of("handler:rollback", ""), 1)).containsExactly("greeting");
        assertThat(shell.commands._complete(List.of("handler:history", ""), 1)).containsExactly("greeting");
        shell.registry.rollback("greeting"); // #3: the library of #1, which is then no rollback to make
        assertThat(shell.commands._complete(List.of("handler:rollback", "greeting", ""), 2)).containsExactly("2");
    }

    @Test
    void wrongRollbacksAreOneLineNamingWhatToDoAndChangeNothing() throws Exception {
        long generation = shell.registry.handler("greeting").orElseThrow().generation();
        for (String[] typed : new String[][] {
            {"handler:rollback greeting 9", "no version '9'", "handler:history greeting"},
            {"handler:rollback greeting 2", "is served by #2", "handler:history greeting"},
            {"handler:rollback greeting 1 2", "at most one version", "handler:history greeting"},
            {"handler:rollback nosuch", "'nosuch' has no history", "handler:list"},
            {"handler:history nosuch", "'nosuch' has no history", "handler:list"},
            {"handler:rollback -t soon greeting", "--timeout", "whole number"},
        }) {
            Throwable error = catchThrowable(() -> shell.execute(typed[0]));
            assertThat(error).as(typed[0]).isNotNull();
            assertThat(error.toString()).as(typed[0]).doesNotContain("\n").contains(typed[1], typed[2]);
        }
        assertThat(shell.registry.handler("greeting").orElseThrow().generation()).isEqualTo(generation);
        assertThat(shell.registry.history("greeting")).hasSize(2);
    }

    private String call() {
        return shell.registry.execute("greeting", RequestContext.create(), HandlerRequest.of("x")).bodyAsString();
    }
}
