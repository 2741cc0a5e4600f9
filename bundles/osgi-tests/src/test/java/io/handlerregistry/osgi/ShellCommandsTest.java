package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRegistry;

/**
 * The handler commands in a framework that embeds the registry with a plain Gogo console (Felix's
 * gogo.command; no shell profile of the container): Gogo's own help knows them, "help handler"
 * included, and they run.
 */
class ShellCommandsTest {
    @TempDir
    Path storage;

    @Test
    void gogoHelpKnowsTheHandlerCommandsAndTheyRun() throws Exception {
        try (OsgiFramework osgi = new OsgiFramework(storage, Map.of(), GogoConsole.BUNDLES)) {
            assertHelpAndCommands(osgi);
        }
    }

    static void assertHelpAndCommands(OsgiFramework osgi) throws Exception {
        HandlerRegistry registry = osgi.registry();
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("echo"));
        GogoConsole console = new GogoConsole(osgi);

        String help = console.run("help handler");
        assertThat(help).doesNotContain("No methods found").contains("handler - the commands of scope handler: list,")
                .contains("scope: handler");
        assertThat(console.run("handler")).contains("handler:list", "handler:bench", "handler:deployments");
        assertThat(console.run("help handler:list")).contains("lists every loaded handler version", "--no-format");
        assertThat(console.run("handler:list --help")).startsWith("handler:list [--no-format]");
        assertThat(console.run("handler:call echo hi")).contains("status 200 from endpoint 'echo'", "hi");
        assertThat(console.run("handler:list")).containsPattern("(?m)^echo +1\\.0\\.0 +ACTIVE");
    }
}
