package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.DeployFolder.State;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * A folder that Apache Felix FileInstall watches (as Karaf's deploy/): handler bundles in it are
 * deployed by the registry's rules, so that a new version copied over a file takes over without a
 * failed call (FileInstall's own update stops the old bundle first); other bundles stay FileInstall's.
 */
class FileInstallFolderTest {
    @TempDir
    Path storage;
    @TempDir
    Path work;

    private Path deploy;
    private OsgiFramework osgi;
    private HandlerRegistry registry;

    @BeforeEach
    void start() throws Exception {
        deploy = Files.createDirectories(work.resolve("deploy"));
        // FileInstall is there when the registry resolves, as in Karaf (installed later: refresh the registry)
        osgi = new OsgiFramework(storage, Map.of("felix.fileinstall.dir", deploy.toString(),
                "felix.fileinstall.poll", "100", "felix.fileinstall.noInitialDelay", "true"),
                List.of(OsgiFramework.BUNDLES.resolve("org.apache.felix.fileinstall.jar")));
        registry = osgi.registry();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
    }

    @Test
    void aNewVersionCopiedOverAFileInstallFileTakesOverWithoutAFailedCall() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        DeployFolder folder = deployFolder();
        assertThat(folder.directory()).isEqualTo(deploy);
        await().until(() -> state(folder, "greeting.jar") == State.SERVING);

        ContinuousCalls load = new ContinuousCalls(3, this::call);
        await().until(() -> load.calls() > 1_000);
        drop("handler-greeting-v2", deploy.resolve("greeting.jar")); // over the file, in place
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > 1_000);
        assertThat(load.stop().failures()).isEmpty();
        await().until(() -> Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName())).count() == 1);

        Files.delete(deploy.resolve("greeting.jar"));
        await().until(() -> !registry.isLoaded("greeting"));
    }

    @Test
    void otherBundlesStayFileInstalls() throws Exception {
        Path plain = OsgiFramework.jar(work.resolve("plain.jar"), Map.of("Bundle-ManifestVersion", "2",
                "Bundle-SymbolicName", "test.plain", "Bundle-Version", "1.0.0"), Map.of());
        OsgiFramework.drop(plain, deploy.resolve("plain.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Arrays.stream(osgi.context().getBundles())
                .anyMatch(b -> "test.plain".equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE
                        && b.getLocation().startsWith("file:")));
    }

    private DeployFolder deployFolder() throws InterruptedException {
        ServiceTracker<DeployFolder, DeployFolder> tracker = new ServiceTracker<>(osgi.context(), DeployFolder.class,
                null);
        tracker.open();
        DeployFolder folder = tracker.waitForService(30_000);
        assertThat(folder).as("FileInstall's folder as a DeployFolder service").isNotNull();
        return folder;
    }

    private static State state(DeployFolder folder, String file) {
        return folder.deployments().stream().filter(d -> d.file().equals(file)).map(DeployFolder.Deployment::state)
                .findFirst().orElse(null);
    }

    private String call() {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }

    private static void drop(String bundle, Path target) throws IOException {
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve(bundle + ".jar"), target);
    }
}
