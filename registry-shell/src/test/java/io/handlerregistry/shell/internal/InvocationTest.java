package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.handlerregistry.api.HandlerRegistry;

/**
 * The words typed after a command bind to its method as Gogo binds them (Karaf's shell calls the
 * commands through {@link CommandSet}, not through Gogo's reflection).
 */
class InvocationTest {
    private GogoShell shell;
    private CommandSet commands;

    @BeforeEach
    void start() {
        shell = new GogoShell();
        shell.registry.loadFrom("echo", GogoShell.NATIVE.resolve(HandlerRegistry.libraryFileName("echo")));
        commands = new CommandSet(shell.commands);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void optionsAnywhereFlagsValuesAndTheRestInOrderAsGogoDoes() throws Exception {
        for (String line : List.of("list --no-format", "info --no-format echo", "call -m PUT -H 'A: 1' echo one two",
                "call echo -q x=1 words", "stats")) {
            List<String> words = List.of(line.replace("'A: 1'", "A:1").split(" "));
            String gogo = shell.run("handler:" + line.replace("'A: 1'", "A:1")).replaceAll("in [0-9.]+ .s", "")
                    .replaceAll("x-request-id: \\d+", "");
            Object ours = commands.invoke(words.get(0), shell.session, words.subList(1, words.size()));
            assertThat(String.valueOf(ours).replaceAll("in [0-9.]+ .s", "").replaceAll("x-request-id: \\d+", ""))
                    .as(line).isEqualTo(gogo);
        }
    }

    @Test
    void aHelperOfTheSameNameTakesFewerWordsAndWrongWordsAreOneLine() {
        assertThatThrownBy(() -> commands.invoke("swap", shell.session, List.of("echo")))
                .hasMessageContaining("which library should endpoint 'echo' serve?");
        assertThatThrownBy(() -> commands.invoke("unload", shell.session, List.of("a", "b")))
                .isInstanceOf(UsageError.class).hasMessage("handler:unload: these arguments do not fit (a b):"
                        + " handler:unload <endpoint id>; see handler:unload --help");
        assertThatThrownBy(() -> commands.invoke("call", shell.session, List.of("echo", "-t")))
                .isInstanceOf(UsageError.class);
    }

    @Test
    void theCommandsOfferTheirOptionsAndArgumentsToCompleters() {
        assertThat(commands.names()).contains("list", "bench").doesNotContain("help", "_complete", "handler");
        assertThat(commands.options("call")).contains("-m", "--method", "-t", "--timeout", "-h", "--help");
        assertThat(commands.candidates(List.of("handler:call", ""), 1)).containsExactly("echo");
        assertThat(commands.candidates(List.of("handler:call", "-m", ""), 2)).contains("GET", "POST");
        assertThat(commands.candidates(List.of("handler:load", "--isolation", ""), 2))
                .containsExactly("in-process", "process");
        assertThat(commands.candidates(List.of("handler:swap", "-i", "process", ""), 3)).containsExactly("echo");
        assertThat(commands.description("list")).startsWith("lists every loaded handler version");
    }
}
