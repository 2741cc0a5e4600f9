package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container's handlers/ holds the example libraries: handler:load completes those not loaded yet and
 * loads them by id, and a library of it loads under another id too; README, "The example handlers", lists
 * every command the test handlers accept.
 */
class ExampleHandlersTest {
    private static final Path README = Path.of(System.getProperty("readme", "../README.md"));
    private static final Path ROOT = README.toAbsolutePath().normalize().getParent();

    @TempDir
    Path work;

    @Test
    void handlersHoldsTheExampleLibrariesThatLoadCompletesAndLoads() throws Exception {
        Container container = new Container(work);
        Path handlers = container.home().resolve("handlers");
        for (String id : new String[] {"echo", "greeting", "slow", "crashy"}) {
            assertThat(handlers.resolve("libhandler_" + id + ".so")).isRegularFile();
        }

        Container.Run run = container.run("handler:_complete [handler:load ''] 1", "handler:load slow",
                "handler:call slow sleep:20", "handler:load echo2 " + handlers.resolve("libhandler_echo.so"),
                "handler:call echo2 hi", "handler:load --isolation process crashy", "handler:call crashy hi",
                "handler:_complete [handler:load ''] 1");
        assertThat(run.exit()).as("%s", run).isZero();
        // echo and greeting are served from deploy/: Tab offers the other two, and none once they are loaded
        assertThat(run.out()).startsWith("crashy\nslow\n");
        assertThat(run.out()).containsPattern("status 200 from endpoint 'slow'[^\\n]*\\n\\nslow\\n")
                .contains("x-endpoint: echo2", "\nhi\n")
                .containsPattern("crashy +ACTIVE +process \\(pid \\d+\\)").containsPattern("alive \\d+");
        assertThat(run.out().strip()).doesNotEndWith("slow");
    }

    @Test
    void theCommandsOfTheTestHandlersAreThoseTheirSourcesAccept() throws Exception {
        String readme = Files.readString(README);
        int start = readme.indexOf("\n### The example handlers\n");
        assertThat(start).as("README has a section on the example handlers").isNotNegative();
        String examples = readme.substring(start, readme.indexOf("\n## ", start));
        for (String source : List.of("registry-core/src/test/native/crashy.c", "registry-core/src/test/native/slow.c")) {
            String header = Files.readString(ROOT.resolve(source));
            header = header.substring(0, header.indexOf("*/"));
            Matcher command = Pattern.compile("(?m)^ \\*\\s+(?:body )?\"([a-z-]+:?)(?:<[A-Za-z]+>)?\"").matcher(header);
            int found = 0;
            while (command.find()) {
                found++;
                assertThat(examples).as("README's example handlers name %s's command %s", source, command.group(1))
                        .containsPattern("`" + Pattern.quote(command.group(1)) + "(<[a-zA-Z]+>)?`");
            }
            assertThat(found).as("commands listed in " + source).isGreaterThan(1);
        }
    }
}
