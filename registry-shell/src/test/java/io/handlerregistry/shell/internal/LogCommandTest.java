package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * handler:log answers --help and help, and the distribution's shell profile completes its options
 * (its block is what {@link Usage#completions} writes: paste target/log-completions.gosh there).
 */
class LogCommandTest {
    private static final Path PROFILE = Path.of("../distribution/src/main/dist/etc/gosh_profile");
    private static final String BEGIN = "# BEGIN handler:log completions";
    private static final String END = "# END handler:log completions";

    @Test
    void theProfileCompletesItsOptions() throws IOException {
        String expected = Usage.completions(LogCommand.class, HandlerCommands.SCOPE, LogCommand.COMMANDS,
                "__handler_arguments");
        Files.writeString(Path.of("target/log-completions.gosh"), expected, StandardCharsets.UTF_8);
        String profile = Files.readString(PROFILE, StandardCharsets.UTF_8);
        assertThat(profile).contains(BEGIN, END);
        String block = profile.substring(profile.indexOf(BEGIN), profile.indexOf(END));
        String actual = block.substring(block.indexOf('\n') + 1).lines()
                .map(String::strip).filter(l -> l.startsWith("complete ")).reduce("", (a, l) -> a + l + "\n");
        assertThat(actual).as("the completion block of %s; target/log-completions.gosh has the right one", PROFILE)
                .isEqualTo(expected);
    }

    @Test
    void itsUsageAndTheListOfHelp() throws Exception {
        assertThat(Usage.of(LogCommand.class, HandlerCommands.SCOPE, "log"))
                .startsWith("handler:log [-n lines] [-f]\n").contains("-f, --follow", "(default 20)", "-h, --help");
        assertThat((String) new HandlerCommands(null).help(null)).contains("handler:log ");
        assertThat((String) new HandlerCommands(null).help(null, "log")).startsWith("handler:log [-n lines] [-f]");
    }
}
