package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler commands with a plain Gogo console in Eclipse Equinox (see {@link ShellCommandsTest}). */
class EquinoxShellCommandsTest {
    @TempDir
    Path storage;

    @Test
    void gogoHelpKnowsTheHandlerCommandsAndTheyRunInEquinox() throws Exception {
        try (OsgiFramework osgi = new OsgiFramework(storage, Map.of(), GogoConsole.BUNDLES)) {
            assertThat(osgi.name()).isEqualTo("org.eclipse.osgi");
            ShellCommandsTest.assertHelpAndCommands(osgi);
        }
    }
}
