package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
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
        awaitAnswersOfV2(load);
        assertThat(load.stop().failures()).isEmpty();
        await().until(() -> Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName())).count() == 1);

        Files.delete(deploy.resolve("greeting.jar"));
        await().until(() -> !registry.isLoaded("greeting"));
    }

    /**
     * A refresh of the registry (a Karaf feature install without --no-auto-refresh may do one) makes a new
     * deployer, which FileInstall asks only about files that change: the folder is in view again at once,
     * its file serving, and the next replace goes by its rules.
     */
    @Test
    void afterARefreshOfTheRegistryTheFolderIsInViewAndItsRulesHold() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> state(deployFolder(), "greeting.jar") == State.SERVING);

        refreshRegistry();
        await("greeting.jar serving, in the new deployer's view").atMost(Duration.ofSeconds(30))
                .until(() -> registry.isLoaded("greeting") && state(deployFolder(), "greeting.jar") == State.SERVING);
        assertThat(call()).startsWith("v1 hi");

        ContinuousCalls load = new ContinuousCalls(3, this::call);
        await().until(() -> load.calls() > 1_000);
        drop("handler-greeting-v2", deploy.resolve("greeting.jar"));
        awaitAnswersOfV2(load);
        assertThat(load.stop().failures()).as("failed calls during the replace after the refresh").isEmpty();
        await().until(() -> Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName())).count() == 1);
    }

    /**
     * FileInstall keeps the installer it found for a file while it installs it: if the registry is
     * refreshed just then, FileInstall later calls the replaced deployer for that file, to uninstall it
     * when it changed. Such a call goes to the running deployer, which deploys what the file holds: the
     * endpoint serves on without a failed call, and FileInstall watches the file again.
     */
    @Test
    void fileInstallsCallsOnAReplacedDeployerGoToTheRunningOne() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> state(deployFolder(), "greeting.jar") == State.SERVING);
        ServiceReference<?> replaced = Arrays.stream(osgi.context().getServiceReferences(
                "org.apache.felix.fileinstall.ArtifactInstaller", null))
                .filter(r -> "io.handlerregistry.core".equals(r.getBundle().getSymbolicName())).findFirst().orElseThrow();
        Object replacedDeployer = osgi.context().getService(replaced);
        refreshRegistry();
        await().atMost(Duration.ofSeconds(30)).until(() -> state(deployFolder(), "greeting.jar") == State.SERVING);

        ContinuousCalls load = new ContinuousCalls(3, this::call);
        await().until(() -> load.calls() > 1_000);
        replacedDeployer.getClass().getMethod("uninstall", File.class).invoke(replacedDeployer,
                deploy.resolve("greeting.jar").toFile());
        long callsAfter = load.calls();
        await().until(() -> load.calls() > callsAfter + 1_000);
        assertThat(load.stop().failures()).as("failed calls").isEmpty();
        assertThat(state(deployFolder(), "greeting.jar")).isEqualTo(State.SERVING);
        assertThat(call()).startsWith("v1 hi");

        drop("handler-greeting-v2", deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> call().startsWith("v2 "));
        Files.delete(deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> !registry.isLoaded("greeting"));
    }

    /** Refreshes the registry's bundle, as a Karaf feature install may, and takes its new registry. */
    private void refreshRegistry() throws InterruptedException {
        CountDownLatch refreshed = new CountDownLatch(1);
        osgi.context().getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(bundle("io.handlerregistry.core")),
                e -> refreshed.countDown());
        assertThat(refreshed.await(60, TimeUnit.SECONDS)).as("the refresh of the registry done").isTrue();
        registry = osgi.registry();
    }

    /**
     * A handler file in the folder before the registry ran is installed by FileInstall itself: that is
     * logged with what to do, and once FileInstall hands the file to the registry (after it restarted, as
     * with the framework), the next version goes by the folder's rules, FileInstall's bundle draining.
     */
    @Test
    void aHandlerBundleFileInstallInstalledItselfIsReplacedByTheFolderRulesOnceTheRegistryHasTheFile()
            throws Exception {
        Bundle core = bundle("io.handlerregistry.core");
        core.stop();
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await("FileInstall's own bundle of greeting.jar").atMost(Duration.ofSeconds(30)).until(() -> Arrays.stream(
                osgi.context().getBundles()).anyMatch(b -> b.getLocation().startsWith("file:")
                        && b.getLocation().endsWith("greeting.jar") && b.getState() == Bundle.ACTIVE));
        try (LogLines log = LogLines.capture()) {
            core.start();
            registry = osgi.registry();
            await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
            assertThat(log.containing("greeting.jar: io.handlerregistry.handler.greeting 1.0.0")).singleElement()
                    .asString().contains("was installed by FileInstall itself", "move it out of " + deploy,
                            "restart the framework");
        }
        assertThat(state(deployFolder(), "greeting.jar")).as("in view, not by the folder's rules yet")
                .isEqualTo(State.IGNORED);

        Bundle fileInstall = bundle("org.apache.felix.fileinstall");
        fileInstall.stop();
        fileInstall.start(); // as a restart of the framework does: FileInstall asks its installers again
        ContinuousCalls load = new ContinuousCalls(3, this::call);
        await().until(() -> load.calls() > 1_000);
        drop("handler-greeting-v2", deploy.resolve("greeting.jar"));
        awaitAnswersOfV2(load);
        assertThat(load.stop().failures()).as("failed calls while FileInstall's bundle was replaced").isEmpty();
        await("FileInstall's bundle drained and uninstalled").atMost(Duration.ofSeconds(30)).until(() -> Arrays
                .stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName()))
                .map(Bundle::getLocation).toList().equals(List.of(deployedLocation(deploy.resolve("greeting.jar")))));
        assertThat(state(deployFolder(), "greeting.jar")).isEqualTo(State.SERVING);
    }

    private void awaitAnswersOfV2(ContinuousCalls load) throws InterruptedException {
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > 1_000);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("v2 did not answer 1,000 calls in 30 s: " + load + "; the folder: "
                    + deployFolder().deployments() + "; the greeting bundles: " + Arrays.stream(osgi.context()
                            .getBundles()).filter(b -> "io.handlerregistry.handler.greeting".equals(b.getSymbolicName()))
                            .map(b -> b.getBundleId() + " " + b.getVersion() + " state " + b.getState() + " " + b.getLocation())
                            .toList(), e);
        }
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(osgi.context().getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
    }

    private String deployedLocation(Path file) {
        return Arrays.stream(osgi.context().getBundles()).map(Bundle::getLocation)
                .filter(l -> l.startsWith("handler-deploy:" + file.toAbsolutePath() + "#")).findFirst().orElse("none");
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
