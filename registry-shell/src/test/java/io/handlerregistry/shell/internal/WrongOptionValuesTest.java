package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.LoadedHandler;

/**
 * Wrong option values, as typed at the prompt (Gogo parses and binds them): each gets one line
 * naming the option or the file and what is allowed, and changes nothing.
 */
class WrongOptionValuesTest {
    @TempDir
    Path work;
    private GogoShell shell;

    @BeforeEach
    void start() {
        shell = new GogoShell();
        shell.registry.loadFrom("echo", GogoShell.NATIVE.resolve(libraryName("echo")));
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "handler:call -t abc echo hi                          | --timeout  | whole number",
        "handler:call --timeout 1.5 echo hi                   | --timeout  | whole number",
        "handler:call -t -5 echo hi                           | --timeout  | 0 or more",
        "handler:bench -t abc echo                            | --threads  | whole number",
        "handler:bench -t 5000 -n 1 echo                      | --threads  | 1 to 1024",
        "handler:bench -t 0 echo                              | --threads  | 1 to 1024",
        "handler:bench -d -1 echo                             | --duration | more than 0",
        "handler:bench -d abc echo                            | --duration | number of seconds",
        "handler:bench -n -3 echo                             | --calls    | 0 or more",
        "handler:swap --graceful --timeout -5 echo LIBRARY    | --timeout  | 0 or more",
        "handler:swap -g -t soon echo LIBRARY                 | --timeout  | whole number",
        "handler:cleanup -w -1                                | --wait     | 0 or more",
        "handler:cleanup -w x                                 | --wait     | number of seconds",
        "handler:top -i abc                                   | --interval | number of seconds",
        "handler:top -i 0.01 -n 1                             | --interval | 0.1 or more",
        "handler:top -n -1                                    | --count    | 0 or more",
        "handler:top -n 1 nosuch                              | 'nosuch'   | is not loaded",
        "handler:swap nosuch LIBRARY                          | 'nosuch'   | handler:load nosuch",
        "handler:call -f /nonexistent-file echo               | /nonexistent-file | does not exist",
        "handler:call -f DIRECTORY echo                       | DIRECTORY  | is a directory",
        "handler:load --isolation bogus echo2                 | --isolation | in-process or process",
        // the registry's refusals: its message alone, not the exception's class before it
        "handler:call nosuch hi                               | 'nosuch'   | deploy a handler bundle for it",
        "handler:load 'bad id!' LIBRARY                       | 'bad id!'  | invalid endpoint id",
        "handler:swap echo /nonexistent-file.so               | /nonexistent-file.so | endpoint 'echo'",
    })
    void getsOneLineNamingTheOptionAndWhatIsAllowedAndChangesNothing(String line, String names, String allowed)
            throws Exception {
        String library = GogoShell.NATIVE.resolve(libraryName("echo")).toString();
        Path directory = Files.createDirectories(work.resolve("a-directory"));
        String typed = line.replace("LIBRARY", library).replace("DIRECTORY", directory.toString());
        List<String> before = state();

        Throwable error = catchThrowable(() -> shell.execute(typed));

        assertThat(error).as(typed).isNotNull();
        // what the shell prints of it (gogo.jline prints toString(), batch mode the message)
        String shown = error.toString();
        assertThat(shown).as(typed).doesNotContain("\n").doesNotContain("Exception").doesNotContain("coerce")
                .contains(names.replace("DIRECTORY", directory.toString()))
                .contains(allowed);
        assertThat(error.getMessage()).isEqualTo(shown);
        assertThat(state()).as("what is loaded, after " + typed).isEqualTo(before);
    }

    /**
     * A command without its arguments, or with too many: one line with the ways to call it (Gogo alone says
     * "Cannot coerce info() to any of [(boolean, String, String[])]"), and nothing changes.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "handler:info                  | arguments are missing                      | handler:info [--no-format] <endpoint id> [version...]",
        "handler:history               | arguments are missing                      | handler:history [--no-format] <endpoint id>",
        "handler:rollback              | arguments are missing                      | <endpoint id> [version to go back to...]",
        "handler:unload                | arguments are missing                      | handler:unload",
        "handler:call                  | arguments are missing                      | handler:call",
        "handler:load                  | arguments are missing                      | <endpoint id> <library file>",
        "handler:unload echo echo      | these arguments do not fit (echo echo)     | handler:unload <endpoint id>",
        "handler:split echo LIBRARY    | these arguments do not fit (echo LIBRARY)  | <endpoint id> <canary> <percent of",
        "handler:history echo echo     | these arguments do not fit (echo echo)     | handler:history [--no-format] <endpoint id>",
    })
    void aCommandWithoutItsArgumentsGetsItsUsageInOneLine(String line, String what, String usage) throws Exception {
        String library = GogoShell.NATIVE.resolve(libraryName("echo")).toString();
        String typed = line.replace("LIBRARY", library);
        List<String> before = state();

        Throwable error = catchThrowable(() -> shell.execute(typed));

        assertThat(error).as(typed).isInstanceOf(UsageError.class);
        String command = typed.split(" ")[0];
        assertThat(error.toString()).as(typed).doesNotContain("\n").doesNotContain("coerce")
                .startsWith(command + ": " + what.replace("LIBRARY", library)).contains(usage)
                .endsWith("see " + command + " --help");
        assertThat(state()).as("what is loaded, after " + typed).isEqualTo(before);
        // the commands that fit still run as Gogo binds them
        assertThat(shell.execute("handler:info --no-format echo").toString()).contains("echo");
    }

    /** Every loaded version of every endpoint, with its library: what a wrong command must not change. */
    private List<String> state() {
        return shell.registry.handlers().stream()
                .map(h -> h.endpointId() + " " + h.generation() + " " + h.state() + " " + h.source())
                .collect(Collectors.toList());
    }

    static String libraryName(String id) {
        return io.handlerregistry.api.HandlerRegistry.libraryFileName(id);
    }

    static LoadedHandler only(GogoShell shell, String id) {
        return shell.registry.handler(id).orElseThrow();
    }
}
