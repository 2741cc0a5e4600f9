package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.DeployFolder.Deployment;
import io.handlerregistry.api.DeployFolder.State;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RequestContext;

/**
 * The deploy folder in an embedded Felix, and again in Equinox (both surefire executions run it),
 * configured through Config Admin (and without
 * org.osgi.framework.bsnversion): every file is a candidate and the best serves, a file's removal or
 * replacement switches without a failed call, deploys do not wait for each other's drains, the folder
 * vanishing undeploys nothing, only handler bundles are deployed, and what is wrong with a file is
 * said in deploy-folder terms.
 */
class DeployFolderTest {
    private static final String GREETING = "io.handlerregistry.handler.greeting";

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private Path deploy;
    private OsgiFramework osgi;
    private HandlerRegistry registry;
    private DeployFolder folder;

    @BeforeEach
    void start() throws Exception {
        deploy = Files.createDirectories(work.resolve("deploy"));
        osgi = new OsgiFramework(storage, Map.of());
        configureAndWait();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
    }

    @Test
    void aNewVersionCopiedOverTheFileTakesOverWithoutAFailedCall() throws Exception {
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().until(() -> registry.isLoaded("greeting"));
        assertThat(call("greeting")).startsWith("v1 hi");

        ContinuousCalls load = new ContinuousCalls(3, () -> call("greeting"));
        drop("handler-greeting-v2", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > 1_000);
        assertThat(load.stop().failures()).isEmpty();
        await().until(() -> greetingBundles().size() == 1); // the file's older content drained and went
        assertThat(stateOf("greeting.jar")).isEqualTo(State.SERVING);
    }

    @Test
    void removingTheServingFileFallsBackToTheOtherFileWithoutAFailedCall() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        drop("handler-greeting-v2", deploy.resolve("greeting-v2.jar"));
        await().until(() -> stateOf("greeting-v2.jar") == State.SERVING && stateOf("greeting.jar") == State.STANDBY);
        assertThat(detailOf("greeting.jar")).contains("stands by for endpoint 'greeting'");

        ContinuousCalls load = new ContinuousCalls(3, () -> call("greeting"));
        await().until(() -> load.answers("v2") > 1_000);
        Files.delete(deploy.resolve("greeting-v2.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v1") > 1_000);
        assertThat(load.stop().failures()).isEmpty();
        await().until(() -> stateOf("greeting.jar") == State.SERVING && stateOf("greeting-v2.jar") == null);
        assertThat(greetingBundles()).extracting(b -> b.getVersion().toString()).containsExactly("1.0.0");
    }

    /**
     * An endpoint unloaded by hand while its file stays: the file is said to serve nothing and how to
     * serve it again (it read "stands by for endpoint 'greeting'", as if something else served it).
     */
    @Test
    void aFileWhoseEndpointWasUnloadedByHandSaysNothingServesItAndHowToServeItAgain() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> stateOf("greeting.jar") == State.SERVING);

        assertThat(registry.unload("greeting")).isTrue();

        await().until(() -> stateOf("greeting.jar") == State.STANDBY);
        assertThat(detailOf("greeting.jar")).contains("stands by for endpoint 'greeting': nothing serves it now;"
                + " if it was unloaded (handler:unload), move the file out of the folder and back");
        Path out = work.resolve("greeting.jar");
        Files.move(deploy.resolve("greeting.jar"), out);
        await().until(() -> stateOf("greeting.jar") == null);
        Files.move(out, deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        assertThat(call("greeting")).startsWith("v1 hi");
        assertThat(stateOf("greeting.jar")).isEqualTo(State.SERVING);
    }

    @Test
    void twoFilesWithTheSameBundleServeByFileNameAndEitherCanGoWithoutAFailedCall() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> stateOf("greeting.jar") == State.SERVING);
        drop("handler-greeting-v1", deploy.resolve("greeting-copy.jar")); // the same bsn and version

        // the first file by name serves, whatever the order they came in
        await().until(() -> stateOf("greeting-copy.jar") == State.SERVING && stateOf("greeting.jar") == State.STANDBY);
        ContinuousCalls load = new ContinuousCalls(3, () -> call("greeting"));
        await().until(() -> load.calls() > 1_000);
        Files.delete(deploy.resolve("greeting-copy.jar"));
        await().until(() -> stateOf("greeting.jar") == State.SERVING && stateOf("greeting-copy.jar") == null);
        long callsBefore = load.calls();
        await().until(() -> load.calls() > callsBefore + 1_000);
        assertThat(load.stop().failures()).isEmpty();
        assertThat(registry.isLoaded("greeting")).isTrue();
    }

    @Test
    void theSameVersionRebuiltIsRedeployedBesideTheOldOneWithoutAFrameworkSetting() throws Exception {
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().until(() -> stateOf("greeting.jar") == State.SERVING);
        long before = greetingBundles().get(0).getBundleId();

        ContinuousCalls load = new ContinuousCalls(3, () -> call("greeting"));
        await().until(() -> load.calls() > 1_000);
        Path rebuilt = OsgiFramework.withEntry(OsgiFramework.BUNDLES.resolve("handler-greeting-v1.jar"),
                work.resolve("rebuilt.jar"), "rebuilt.txt", "another build of 1.0.0");
        OsgiFramework.drop(rebuilt, file);
        await().atMost(Duration.ofSeconds(30)).until(() -> greetingBundles().size() == 1
                && greetingBundles().get(0).getBundleId() != before);
        long callsAfter = load.calls();
        await().until(() -> load.calls() > callsAfter + 1_000);
        assertThat(load.stop().failures()).isEmpty();
        assertThat(stateOf("greeting.jar")).isEqualTo(State.SERVING);
    }

    @Test
    void aSlowCallDrainingInOneEndpointDelaysNoOtherDeploy() throws Exception {
        drop("handler-slow", deploy.resolve("slow.jar"));
        await().until(() -> registry.isLoaded("slow"));
        Path gate = work.resolve("gate");
        CompletableFuture<String> inFlight = OsgiFramework.slowCallHeldAt(registry, gate);

        Files.delete(deploy.resolve("slow.jar"));
        await().until(() -> stateOf("slow.jar") == State.DRAINING);
        assertThat(detailOf("slow.jar")).contains("1 call left");
        drop("handler-echo", deploy.resolve("echo.jar"));
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.isLoaded("echo")); // a few polls, not a drain
        assertThat(stateOf("echo.jar")).isEqualTo(State.SERVING);
        assertThat(inFlight).isNotDone();

        Files.writeString(gate, "open");
        assertThat(inFlight.get()).isEqualTo("slow");
        await().until(() -> stateOf("slow.jar") == null);
    }

    @Test
    void theFolderGoingAwayUndeploysNothingAndIsNotRecreated() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> stateOf("greeting.jar") == State.SERVING);
        long bundle = greetingBundles().get(0).getBundleId();

        Path away = work.resolve("deploy-away");
        Files.move(deploy, away);
        ContinuousCalls load = new ContinuousCalls(2, () -> call("greeting"));
        await().pollDelay(Duration.ofMillis(500)).until(() -> load.calls() > 1_000); // several polls
        assertThat(Files.exists(deploy)).as("the watcher does not recreate it").isFalse();
        assertThat(load.failures()).isEmpty();

        Files.move(away, deploy); // back, as it was
        await().pollDelay(Duration.ofMillis(500)).until(() -> stateOf("greeting.jar") == State.SERVING);
        assertThat(load.stop().failures()).isEmpty();
        assertThat(greetingBundles()).extracting(Bundle::getBundleId).containsExactly(bundle); // not reinstalled
    }

    @Test
    void aFolderThatComesBackWithoutAFileTakesThatFileAway() throws Exception {
        drop("handler-echo", deploy.resolve("echo.jar"));
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> registry.isLoaded("echo") && registry.isLoaded("greeting"));
        Path away = work.resolve("deploy-away");
        Files.move(deploy, away);
        Files.createDirectories(deploy);
        Files.move(away.resolve("greeting.jar"), deploy.resolve("greeting.jar"));
        await().until(() -> !registry.isLoaded("echo"));
        assertThat(registry.isLoaded("greeting")).isTrue();
    }

    @Test
    void onlyHandlerBundlesAreDeployedUnlessOtherBundlesAreAllowed() throws Exception {
        Path plain = OsgiFramework.jar(work.resolve("plain.jar"), Map.of("Bundle-ManifestVersion", "2",
                "Bundle-SymbolicName", "test.plain", "Bundle-Version", "1.0.0"), Map.of());
        OsgiFramework.drop(plain, deploy.resolve("plain.jar"));
        await().until(() -> stateOf("plain.jar") == State.FAILED);
        assertThat(detailOf("plain.jar")).contains("test.plain 1.0.0, not a handler bundle")
                .contains("allow.other.bundles=true");
        assertThat(symbolicNames()).doesNotContain("test.plain");

        osgi.configure("io.handlerregistry.deploy", Map.of("directory", deploy.toString(), "poll.ms", 100L,
                "allow.other.bundles", true));
        await().until(() -> symbolicNames().contains("test.plain"));
    }

    @Test
    void whatIsWrongWithAFileIsSaidInDeployFolderTerms() throws Exception {
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> registry.isLoaded("greeting"));
        byte[] v2 = Files.readAllBytes(OsgiFramework.BUNDLES.resolve("handler-greeting-v2.jar"));
        Files.write(deploy.resolve("half.jar"), Arrays.copyOf(v2, v2.length / 2)); // a copy that stopped halfway
        Files.writeString(deploy.resolve("notes.jar"), "not a jar");
        Files.write(deploy.resolve("empty.jar"), new byte[0]);
        drop("handler-greeting-broken", deploy.resolve("broken.jar")); // handler_init fails
        Files.createDirectories(deploy.resolve("folder.jar"));
        Files.createSymbolicLink(deploy.resolve("dangling.jar"), work.resolve("nothing-here"));
        drop("handler-echo", deploy.resolve("ECHO.JAR"));

        await().until(() -> stateOf("notes.jar") == State.FAILED && stateOf("empty.jar") == State.FAILED
                && stateOf("broken.jar") == State.FAILED && stateOf("ECHO.JAR") == State.SERVING);
        assertThat(stateOf("half.jar")).as("incomplete: a copy still under way, for a few polls").isIn(State.PENDING,
                State.FAILED);
        await().until(() -> stateOf("half.jar") == State.FAILED);
        assertThat(detailOf("half.jar")).contains("incomplete").contains("ends before the jar's end record");
        assertThat(detailOf("notes.jar")).contains("not a jar");
        assertThat(detailOf("empty.jar")).contains("empty");
        assertThat(detailOf("broken.jar")).contains("handler_init").contains("failed with code 7")
                .contains("endpoint 'greeting' is still served by");
        // the version refused is counted (handler_swaps_total), the files that are no handler bundle are not
        assertThat(registry.activity().swaps()).containsEntry(new RegistryActivity.SwapKind("swap", "refused"), 1L)
                .doesNotContainKey(new RegistryActivity.SwapKind("load", "refused"));
        assertThat(stateOf("folder.jar")).isEqualTo(State.IGNORED);
        assertThat(detailOf("folder.jar")).contains("directory");
        assertThat(stateOf("dangling.jar")).isEqualTo(State.IGNORED);
        assertThat(detailOf("dangling.jar")).contains("link to nothing");
        assertThat(call("greeting")).startsWith("v1 hi");

        drop("handler-greeting-v2", deploy.resolve("half.jar")); // fixed later: picked up
        await().until(() -> stateOf("half.jar") == State.SERVING);
        assertThat(call("greeting")).startsWith("v2 hi");
        assertThat(stateOf("greeting.jar")).isEqualTo(State.STANDBY); // v1's file is still there
    }

    /**
     * What the folder ignores is shown while it is there, and forgotten once it went (it stayed as
     * IGNORED for good: handler:deployments and handler_deploy_files{state="ignored"} kept it). A link
     * whose target comes is a candidate, as the kubelet's links through ..data are when an older kubelet
     * makes them before the ..data they point into.
     */
    @Test
    void anIgnoredEntryThatWentIsForgottenAndALinkWhoseTargetCameIsDeployed() throws Exception {
        Files.createDirectories(deploy.resolve("folder.jar"));
        Files.createSymbolicLink(deploy.resolve("dangling.jar"), work.resolve("nothing-here"));
        Files.createSymbolicLink(deploy.resolve("greeting.jar"), Path.of("..later", "greeting.jar"));
        await().until(() -> stateOf("folder.jar") == State.IGNORED && stateOf("dangling.jar") == State.IGNORED
                && stateOf("greeting.jar") == State.IGNORED);

        Files.delete(deploy.resolve("folder.jar"));
        Files.delete(deploy.resolve("dangling.jar"));
        Files.createDirectories(deploy.resolve("..later"));
        drop("handler-greeting-v1", deploy.resolve("..later/greeting.jar"));
        await().until(() -> stateOf("folder.jar") == null && stateOf("dangling.jar") == null
                && stateOf("greeting.jar") == State.SERVING);
        assertThat(call("greeting")).startsWith("v1 hi");
        assertThat(folder.deployments()).extracting(Deployment::file).containsExactly("greeting.jar");
    }

    @Test
    void deletingTheFileRemovesTheEndpoint() throws Exception {
        Path file = deploy.resolve("echo.jar");
        drop("handler-echo", file);
        await().until(() -> registry.isLoaded("echo"));
        Files.delete(file);
        await().until(() -> !registry.isLoaded("echo"));
        await().until(() -> folder.deployments().isEmpty());
        assertThat(symbolicNames()).doesNotContain("io.handlerregistry.handler.echo");
    }

    @Test
    void aRestartReconcilesTheBundleCacheWithTheFolder() throws Exception {
        osgi.close();
        Path cache = work.resolve("cache"); // kept from one start to the next, as Equinox and Karaf keep theirs
        OsgiFramework first = OsgiFramework.persistent(cache);
        osgi = first;
        configureAndWait();
        drop("handler-echo", deploy.resolve("echo.jar"));
        drop("handler-greeting-v1", deploy.resolve("greeting.jar"));
        await().until(() -> registry.isLoaded("echo") && registry.isLoaded("greeting"));
        first.close();

        // while the framework is down: one file deleted, one replaced
        Files.delete(deploy.resolve("echo.jar"));
        drop("handler-greeting-v2", deploy.resolve("greeting.jar"));
        osgi = OsgiFramework.persistent(cache);
        configureAndWait();
        await().until(() -> registry.isLoaded("greeting") && call("greeting").startsWith("v2"));
        await().until(() -> !symbolicNames().contains("io.handlerregistry.handler.echo"));
        assertThat(registry.isLoaded("echo")).isFalse();
        await().until(() -> greetingBundles().size() == 1);
    }

    @Test
    void replacedVersionsAndTheirBundlesAreForgottenOnceUninstalled() throws Exception {
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().until(() -> registry.isLoaded("greeting"));
        List<WeakReference<Object>> replaced = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            LoadedHandler serving = registry.handler("greeting").orElseThrow();
            Bundle bundle = greetingBundles().get(0);
            replaced.add(new WeakReference<>(serving));
            replaced.add(new WeakReference<>(bundle));
            String next = i % 2 == 0 ? "v2" : "v1";
            drop("handler-greeting-" + next, file);
            await().until(() -> call("greeting").startsWith(next) && greetingBundles().size() == 1
                    && bundle.getState() == Bundle.UNINSTALLED);
            assertThat(folder.deployments()).hasSize(1); // what the folder shows: one line per file
        }
        // nothing the registry keeps holds a replaced version or an uninstalled bundle (each kept ~30 kB)
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc();
            return replaced.stream().allMatch(ref -> ref.get() == null);
        });
    }

    /** Gets the registry, configures the deploy folder, and waits for it to be ready. */
    private void configureAndWait() throws Exception {
        registry = osgi.registry();
        osgi.configure("io.handlerregistry.deploy", Map.of("directory", deploy.toString(), "poll.ms", 100L));
        ServiceTracker<DeployFolder, DeployFolder> tracker = new ServiceTracker<>(osgi.context(), DeployFolder.class,
                null);
        tracker.open();
        folder = tracker.waitForService(30_000);
        assertThat(folder).isNotNull();
    }

    /** Copies one of this build's bundles into place the safe way: a hidden temporary name, then rename. */
    private static void drop(String bundle, Path target) throws IOException {
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve(bundle + ".jar"), target);
    }

    private String call(String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }

    private Optional<Deployment> deployment(String file) {
        return folder.deployments().stream().filter(d -> d.file().equals(file)).findFirst();
    }

    private State stateOf(String file) {
        return deployment(file).map(Deployment::state).orElse(null);
    }

    private String detailOf(String file) {
        return deployment(file).map(Deployment::detail).orElse("");
    }

    private List<Bundle> greetingBundles() {
        return Arrays.stream(osgi.context().getBundles()).filter(b -> GREETING.equals(b.getSymbolicName()))
                .collect(Collectors.toList());
    }

    private List<String> symbolicNames() {
        return Arrays.stream(osgi.context().getBundles()).map(Bundle::getSymbolicName).collect(Collectors.toList());
    }
}
