package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.DeployFolder.State;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * The deploy folder in an embedded Felix, configured through Config Admin: drop, replace under load,
 * refuse broken files, delete.
 */
class DeployFolderTest {
    @TempDir
    Path storage;
    @TempDir
    Path deploy;

    private OsgiFramework osgi;
    private HandlerRegistry registry;
    private DeployFolder folder;

    @BeforeEach
    void start() throws Exception {
        osgi = new OsgiFramework(storage, Map.of("org.osgi.framework.bsnversion", "multiple"));
        registry = osgi.registry();
        osgi.configure("io.handlerregistry.deploy", Map.of("directory", deploy.toString(), "poll.ms", 100L));
        ServiceTracker<DeployFolder, DeployFolder> tracker = new ServiceTracker<>(osgi.context(), DeployFolder.class, null);
        tracker.open();
        folder = tracker.waitForService(30_000);
        assertThat(folder).isNotNull();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
    }

    private static void drop(String bundle, Path target) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp"); // hidden: never picked up
        Files.copy(OsgiFramework.BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String call() {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }

    private State stateOf(String file) {
        return folder.deployments().stream().filter(d -> d.file().equals(file)).map(DeployFolder.Deployment::state)
                .findFirst().orElse(null);
    }

    @Test
    void aNewVersionCopiedOverTheFileTakesOverWithoutAFailedCall() throws Exception {
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().until(() -> registry.isLoaded("greeting"));
        assertThat(call()).startsWith("v1 hi");

        ContinuousCalls load = new ContinuousCalls(3, this::call);
        drop("handler-greeting-v2", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > 1_000);
        assertThat(load.stop().failures()).isEmpty();
        await().until(() -> Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName())).count() == 1);
        assertThat(stateOf("greeting.jar")).isEqualTo(State.DEPLOYED);
    }

    @Test
    void brokenFilesAreReportedAndTheServingVersionKeepsServing() throws Exception {
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().until(() -> registry.isLoaded("greeting"));

        byte[] v2 = Files.readAllBytes(OsgiFramework.BUNDLES.resolve("handler-greeting-v2.jar"));
        Files.write(deploy.resolve("half.jar"), Arrays.copyOf(v2, v2.length / 2)); // a copy that stopped halfway
        Files.writeString(deploy.resolve("notes.jar"), "not a jar");
        drop("handler-greeting-broken", deploy.resolve("broken.jar")); // handler_init fails

        await().until(() -> stateOf("half.jar") == State.FAILED && stateOf("notes.jar") == State.FAILED
                && stateOf("broken.jar") == State.FAILED);
        assertThat(folder.deployments()).filteredOn(d -> d.file().equals("broken.jar")).singleElement()
                .satisfies(d -> assertThat(d.detail()).contains("handler_init").contains("failed with code 7"));
        assertThat(call()).startsWith("v1 hi");

        drop("handler-greeting-v2", deploy.resolve("half.jar")); // fixed later: picked up
        await().until(() -> stateOf("half.jar") == State.DEPLOYED);
        assertThat(call()).startsWith("v2 hi");
        await().until(() -> stateOf("greeting.jar") == State.REPLACED); // v1 drained and was uninstalled
    }

    @Test
    void deletingTheFileRemovesTheEndpoint() throws Exception {
        Path file = deploy.resolve("echo.jar");
        drop("handler-echo", file);
        await().until(() -> registry.isLoaded("echo"));
        Files.delete(file);
        await().until(() -> !registry.isLoaded("echo"));
        assertThat(folder.deployments()).isEmpty();
        assertThat(Arrays.stream(osgi.context().getBundles()).map(b -> b.getSymbolicName()))
                .doesNotContain("io.handlerregistry.handler.echo");
    }
}
