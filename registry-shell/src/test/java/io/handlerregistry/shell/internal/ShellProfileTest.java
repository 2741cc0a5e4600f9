package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The distribution's shell profile completes the handler commands with the options they have:
 * its completion block is what {@link Usage#completions} writes from the commands' annotations.
 * When a command changes, paste target/handler-completions.gosh into the profile.
 */
class ShellProfileTest {
    private static final Path PROFILE = Path.of("../distribution/src/main/dist/etc/gosh_profile");
    private static final String BEGIN = "# BEGIN handler completions";
    private static final String END = "# END handler completions";

    @Test
    void theProfileCompletesEveryHandlerCommandAsItIsDeclared() throws IOException {
        String expected = Usage.completions(HandlerCommands.class, HandlerCommands.SCOPE, HandlerCommands.COMMANDS,
                "__handler_arguments");
        Files.writeString(Path.of("target/handler-completions.gosh"), expected, StandardCharsets.UTF_8);
        String profile = Files.readString(PROFILE, StandardCharsets.UTF_8);
        assertThat(profile).contains(BEGIN, END);
        String block = profile.substring(profile.indexOf(BEGIN), profile.indexOf(END));
        String actual = block.substring(block.indexOf('\n') + 1).lines()
                .map(String::strip).filter(l -> l.startsWith("complete ")).reduce("", (a, l) -> a + l + "\n");
        assertThat(actual).as("the completion block of %s; target/handler-completions.gosh has the right one",
                PROFILE).isEqualTo(expected);
    }

    @Test
    void everyCommandAnswersHelpWithItsSynopsisAndOptions() {
        for (String command : HandlerCommands.COMMANDS) {
            String usage = Usage.of(HandlerCommands.class, HandlerCommands.SCOPE, command);
            assertThat(usage).startsWith("handler:" + command).contains("-h, --help");
        }
        assertThat(Usage.of(HandlerCommands.class, "handler", "call"))
                .contains("handler:call [-m method] [-p path]", "<endpoint id>", "[request body...]",
                        "-H, --header <header>", "-f, --file <file>", "(default /)");
        assertThat(Usage.of(HandlerCommands.class, "handler", "load")).contains("handler:load [-i isolation] <endpoint id>\n",
                "handler:load [-i isolation] <endpoint id> <library file>\n", "-i, --isolation <isolation>");
        // the helper that answers 'handler:swap --help' is not part of the usage
        assertThat(Usage.of(HandlerCommands.class, "handler", "swap"))
                .startsWith("handler:swap [-g] [-t timeout] [-i isolation] <endpoint id> <library file>\n");
        for (String command : HandlerCommands.COMMANDS) {
            assertThat(Usage.of(HandlerCommands.class, "handler", command).lines())
                    .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(Screen.HELP_WIDTH));
        }
    }

    @Test
    void helpAsksAreTheFirstWordOnly() {
        assertThat(Usage.asked("--help")).isTrue();
        assertThat(Usage.asked("-h", "x")).isTrue();
        assertThat(Usage.asked("greeting", "--help")).isFalse();
        assertThat(Usage.asked()).isFalse();
    }
}
