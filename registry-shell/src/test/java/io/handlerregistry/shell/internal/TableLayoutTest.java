package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.handlerregistry.api.HandlerRegistry;

/**
 * handler:list as typed in a shell: its table fits the terminal's width (COLUMNS, which gogo.jline
 * and Karaf compute from their terminal) without breaking a word, keeps each row whole on one
 * line where the output is no terminal (a pipe), and prints bare rows with --no-format.
 */
class TableLayoutTest {
    private GogoShell shell;
    private String echoSource;

    @BeforeEach
    void start() {
        shell = new GogoShell();
        echoSource = shell.registry.loadFrom("echo", GogoShell.NATIVE.resolve(HandlerRegistry.libraryFileName("echo")))
                .source();
        shell.registry.loadFrom("greeting", GogoShell.NATIVE.resolve("v1").resolve(HandlerRegistry.libraryFileName("greeting")));
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void onATerminalOf80ColumnsNoLineIsWiderAndNoWordIsBroken() throws Exception {
        shell.session.put("COLUMNS", 80);
        String shown = shell.run("handler:list");

        // only a word longer than the terminal (here a path) may go past it: it is never broken
        assertThat(shown.lines()).allSatisfy(line -> assertThat(line.length() <= 80
                || line.strip().equals(echoSource) || line.strip().endsWith("libhandler_greeting.so"))
                .as(line).isTrue());
        assertThat(shown.lines()).anySatisfy(line -> assertThat(line).contains(echoSource)); // whole
        assertThat(shown).containsPattern("(?m)^echo +gen1 +ACTIVE +in-process +0 +0 +0 +0$");
        for (String header : List.of("endpoint", "version", "state", "isolation", "in-flight", "overdue", "calls", "errors")) {
            assertThat(shown.lines().findFirst().orElseThrow()).contains(header);
        }
    }

    @Test
    void onATerminalOf200ColumnsEachRowIsOneLine() throws Exception {
        shell.session.put("COLUMNS", 200);
        String shown = shell.run("handler:list");

        assertThat(shown.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(200));
        assertThat(shown).containsPattern("(?m)^echo +gen1 +ACTIVE +in-process +0 +0 +0 +0 +" + quote(echoSource) + "$");
        assertThat(shown.lines()).hasSize(4); // header, rule, 2 rows
    }

    @Test
    void throughAPipeEachRowIsWholeOnOneLineWhateverTheTerminal() throws Exception {
        shell.session.put("COLUMNS", 80);
        String piped = (String) shell.execute("handler:list | test:cat");

        assertThat(piped).containsPattern("(?m)^echo +gen1 +ACTIVE +in-process +0 +0 +0 +0 +" + quote(echoSource) + "$");
        assertThat(piped.lines().filter(l -> l.startsWith("greeting")).collect(Collectors.toList())).hasSize(1);
        assertThat(piped.lines().filter(l -> !l.isEmpty())).hasSize(4);
    }

    @Test
    void noFormatPrintsTheRowsAloneWithTabsBetweenCells() throws Exception {
        shell.session.put("COLUMNS", 80);
        String shown = shell.run("handler:list --no-format");

        assertThat(shown).startsWith("echo\tgen1\tACTIVE\tin-process\t0\t0\t0\t0\t" + echoSource + "\n")
                .doesNotContain("endpoint").doesNotContain("---");
        assertThat(shown.lines()).hasSize(2);
        assertThat(shell.run("handler:info --no-format echo")).contains("endpoint\techo\n", "state\tACTIVE\n");
    }

    private static String quote(String text) {
        return java.util.regex.Pattern.quote(text);
    }
}
