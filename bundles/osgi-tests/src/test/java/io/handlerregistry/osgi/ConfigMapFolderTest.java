package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import io.handlerregistry.api.RequestContext;

/**
 * The deploy folder as a Kubernetes ConfigMap volume (handler bundles as binaryData), updated the way
 * the kubelet updates one ({@link ConfigMapVolume}): every update swaps without a failed call, the
 * hidden entries ({@code ..data}, {@code ..2026_...}) are never candidates, a key that goes takes its
 * endpoint with it, and the folder, read-only, is never written to.
 */
class ConfigMapFolderTest {
    private static final String GREETING = "io.handlerregistry.handler.greeting";

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private ConfigMapVolume volume;
    private OsgiFramework osgi;
    private HandlerRegistry registry;
    private DeployFolder folder;

    @BeforeEach
    void start() throws Exception {
        volume = new ConfigMapVolume(work.resolve("kubelet/volume"), work.resolve("pod/deploy"));
        osgi = new OsgiFramework(storage, Map.of());
        registry = osgi.registry();
        osgi.configure("io.handlerregistry.deploy", Map.of("directory", volume.mount().toString(), "poll.ms", 100L));
        ServiceTracker<DeployFolder, DeployFolder> tracker = new ServiceTracker<>(osgi.context(), DeployFolder.class,
                null);
        tracker.open();
        folder = tracker.waitForService(30_000);
        assertThat(folder).isNotNull();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
        volume.close();
    }

    @Test
    void eachUpdateOfTheConfigMapSwapsWithoutAFailedCallAndTheFolderIsNeverWrittenTo() throws Exception {
        volume.write(Map.of("greeting.jar", jar("handler-greeting-v1"), "echo.jar", jar("handler-echo")));
        await().until(() -> registry.isLoaded("greeting") && registry.isLoaded("echo"));
        assertThat(call("greeting")).startsWith("v1 hi");
        await().until(() -> stateOf("greeting.jar") == State.SERVING && stateOf("echo.jar") == State.SERVING);
        assertThat(fileNames()).as("only the visible names are candidates").containsExactly("echo.jar",
                "greeting.jar");
        Map<String, String> written = volume.snapshot();

        ContinuousCalls load = new ContinuousCalls(3, () -> call("greeting"));
        await().until(() -> load.answers("v1") > 1_000);
        String[] versions = {"v2", "v1", "v2"};
        for (int i = 0; i < versions.length; i++) {
            String next = versions[i];
            long before = load.answers(next);
            volume.write(Map.of("greeting.jar", jar("handler-greeting-" + next), "echo.jar", jar("handler-echo")));
            written = volume.snapshot();
            await().atMost(Duration.ofSeconds(30)).until(() -> call("greeting").startsWith(next)
                    && load.answers(next) > before + 1_000);
            // the replaced content drained and went; the unchanged echo.jar stays as it was
            await().until(() -> greetingBundles().size() == 1 && stateOf("greeting.jar") == State.SERVING);
            assertThat(fileNames()).containsExactly("echo.jar", "greeting.jar");
            assertThat(volume.snapshot()).as("nothing written into the folder (%s)", volume.readOnlyBy())
                    .isEqualTo(written);
        }
        assertThat(load.stop().failures()).isEmpty();
        assertThat(echoBundleIds()).as("echo.jar's content did not change: not redeployed").hasSize(1);

        // a key taken out of the ConfigMap: its visible link goes, and with it the endpoint
        volume.write(Map.of("greeting.jar", jar("handler-greeting-v2")));
        await().until(() -> !registry.isLoaded("echo") && echoBundleIds().isEmpty());
        await().until(() -> fileNames().equals(List.of("greeting.jar")));
        assertThat(call("greeting")).startsWith("v2 hi");
        assertThat(folder.deployments()).extracting(Deployment::state).containsOnly(State.SERVING);
        assertThat(volume.snapshot().keySet()).allSatisfy(name -> assertThat(name).matches(
                "\\.\\.data|greeting\\.jar|\\.\\.\\d{4}(_\\d\\d){5}\\.\\d+(/greeting\\.jar)?"));

        // a key added again: served
        volume.write(Map.of("greeting.jar", jar("handler-greeting-v2"), "echo.jar", jar("handler-echo")));
        await().until(() -> registry.isLoaded("echo") && stateOf("echo.jar") == State.SERVING);

        // a broken version in the ConfigMap (its handler_init fails): that file fails, the version
        // before serves on without a failed call
        ContinuousCalls calls = new ContinuousCalls(2, () -> call("greeting"));
        await().until(() -> calls.answers("v2") > 1_000);
        volume.write(Map.of("greeting.jar", jar("handler-greeting-broken"), "echo.jar", jar("handler-echo")));
        await().atMost(Duration.ofSeconds(30)).until(() -> stateOf("greeting.jar") == State.FAILED);
        long before = calls.calls();
        await().until(() -> calls.calls() > before + 1_000);
        assertThat(calls.stop().failures()).isEmpty();
        assertThat(calls.answers("v2")).isEqualTo(calls.calls());
        assertThat(folder.deployments().stream().filter(d -> d.file().equals("greeting.jar")).findFirst()
                .orElseThrow().detail()).contains("handler_init").contains("endpoint 'greeting' is still served by");
    }

    private static byte[] jar(String bundle) throws Exception {
        return Files.readAllBytes(OsgiFramework.BUNDLES.resolve(bundle + ".jar"));
    }

    private String call(String endpoint) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
    }

    private List<String> fileNames() {
        return folder.deployments().stream().map(Deployment::file).sorted().collect(Collectors.toList());
    }

    private State stateOf(String file) {
        Optional<Deployment> d = folder.deployments().stream().filter(x -> x.file().equals(file)).findFirst();
        return d.map(Deployment::state).orElse(null);
    }

    private List<Bundle> greetingBundles() {
        return Arrays.stream(osgi.context().getBundles()).filter(b -> GREETING.equals(b.getSymbolicName()))
                .collect(Collectors.toList());
    }

    private List<Long> echoBundleIds() {
        return Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.handler.echo".equals(b.getSymbolicName())).map(Bundle::getBundleId)
                .collect(Collectors.toList());
    }
}
