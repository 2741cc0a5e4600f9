package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** handler:split as typed at the prompt, on a real registry and real libraries. */
class SplitCommandsTest {
    private GogoShell shell;
    private Path v1;
    private Path v2;

    @BeforeEach
    void start() throws Exception {
        shell = new GogoShell();
        v1 = GogoShell.NATIVE.resolve("v1").resolve(WrongOptionValuesTest.libraryName("greeting")).toAbsolutePath();
        v2 = GogoShell.NATIVE.resolve("v2").resolve(WrongOptionValuesTest.libraryName("greeting")).toAbsolutePath();
        shell.run("handler:load greeting " + v1);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void splitShowsPromotesAndAbortsAndSaysWhatItDid() throws Exception {
        assertThat(shell.run("handler:split greeting " + v2 + " 20")).startsWith("endpoint 'greeting' is split: 20 % of"
                + " its new calls go to the canary " + v2).contains("80 % to " + v1, "handler:split --promote greeting",
                "handler:split --abort greeting");
        String table = shell.run("handler:split greeting");
        assertThat(table.lines().findFirst().orElseThrow()).contains("role", "version", "share", "calls", "source");
        assertThat(table).contains("primary", "80 %", "canary", "20 %", v2.toString());
        assertThat(shell.run("handler:list")).contains("ACTIVE, primary 80 %", "ACTIVE, canary 20 %");
        assertThat(shell.run("handler:info greeting")).contains("canary 20 %", "primary 80 %");
        assertThat(shell.run("handler:split greeting " + v2 + " 50")).contains("50 % of its new calls");

        assertThat(shell.run("handler:split --promote greeting")).startsWith("endpoint 'greeting': the canary " + v2
                + " is promoted and serves every call; the version before ");
        assertThat(shell.registry.split("greeting")).isEmpty();
        assertThat(shell.run("handler:list")).doesNotContain(", canary", ", primary");

        // a kept version as the canary, by its number
        assertThat(shell.run("handler:split greeting 1 10")).contains("10 % of its new calls go to the canary");
        assertThat(shell.run("handler:split -a greeting")).startsWith("endpoint 'greeting': the canary split is"
                + " aborted, every call goes to " + v2 + " again; the canary ");
        assertThat(shell.registry.split("greeting")).isEmpty();
        assertThat(shell.run("handler:split --help")).startsWith("handler:split [-p] [-a] [--no-format] <endpoint id>")
                .contains("-p, --promote", "-a, --abort", "<canary", "<percent");
    }

    @Test
    void tabOffersKeptVersionsOrFilesThenPercents() throws Exception {
        assertThat(shell.commands._complete(List.of("handler:split", ""), 1)).containsExactly("greeting");
        assertThat(shell.commands._complete(List.of("handler:split", "greeting", ""), 2)).isNull(); // nothing kept: files
        shell.run("handler:swap greeting " + v2);
        assertThat(shell.commands._complete(List.of("handler:split", "greeting", ""), 2)).containsExactly("1");
        assertThat(shell.commands._complete(List.of("handler:split", "greeting", "./"), 2)).isNull();
        assertThat(shell.commands._complete(List.of("handler:split", "greeting", "1", ""), 3)).contains("5", "20");
        assertThat(shell.commands._complete(List.of("handler:split", "--promote", ""), 2)).containsExactly("greeting");
    }

    @Test
    void wrongSplitsAreOneLineNamingWhatToDoAndChangeNothing() throws Exception {
        long generation = shell.registry.handler("greeting").orElseThrow().generation();
        for (String[] typed : new String[][] {
            {"handler:split greeting " + v2 + " 0", "percent '0' is wrong", "more than 0 and less than 100"},
            {"handler:split greeting " + v2 + " 100", "percent '100' is wrong", "e.g. 20 or 0.5"},
            {"handler:split greeting " + v2 + " lots", "percent 'lots' is wrong", "e.g. 20"},
            {"handler:split greeting " + v2 + " 0.001", "percent '0.001' is wrong", "0.01"},
            {"handler:split greeting 9 20", "no version '9'", "handler:history greeting"},
            {"handler:split greeting " + v1 + " 20", "same library", "must differ"},
            {"handler:split nosuch " + v2 + " 20", "'nosuch' is not loaded", "load or deploy it first"},
            {"handler:split greeting", "has no canary split", "handler:split greeting <library-or-kept-version> <percent>"},
            {"handler:split --promote greeting", "no canary split to promote", "handler:split greeting"},
            {"handler:split --abort greeting", "no canary split to abort", "handler:split greeting"},
            {"handler:split -p -a greeting", "not both", "promote makes the canary"},
        }) {
            Throwable error = catchThrowable(() -> shell.execute(typed[0]));
            assertThat(error).as(typed[0]).isNotNull();
            assertThat(error.toString()).as(typed[0]).doesNotContain("\n").contains(typed[1], typed[2]);
        }
        assertThat(shell.registry.handler("greeting").orElseThrow().generation()).isEqualTo(generation);
        assertThat(shell.registry.split("greeting")).isEmpty();
    }
}
