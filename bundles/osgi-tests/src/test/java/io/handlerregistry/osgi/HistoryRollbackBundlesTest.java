package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.DeployFolder.Deployment;
import io.handlerregistry.api.DeployFolder.State;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.RequestContext;

/**
 * Version history and rollback of deploy folder endpoints, embedded (Felix, and Equinox in the second
 * execution): the bundles' versions in the history (FILE, their version, the SHA-256 of the library in
 * the jar), a rollback by version under continuous calls, the pin it sets on the endpoint (the same
 * file again keeps it, a new file ends it), and the pin and the history kept across a restart of a
 * framework whose cache persists (the history in the registry bundle's data area, the default).
 */
class HistoryRollbackBundlesTest {
    @TempDir
    Path storage;
    @TempDir
    Path work;

    private Path deploy;
    private OsgiFramework osgi;
    private HandlerRegistry registry;
    private DeployFolder folder;

    @BeforeEach
    void prepare() throws IOException {
        deploy = Files.createDirectories(work.resolve("deploy"));
    }

    @AfterEach
    void stop() throws Exception {
        if (osgi != null) {
            osgi.close();
        }
    }

    @Test
    void aRollbackPinsTheEndpointUntilANewFileForItArrives() throws Exception {
        start(new OsgiFramework(storage, Map.of()), true);
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        drop("handler-greeting-v2", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> call().startsWith("v2"));

        List<HistoryEntry> history = registry.history("greeting");
        assertThat(history).extracting(HistoryEntry::number).containsExactly(2, 1);
        HistoryEntry v2 = history.get(0);
        HistoryEntry v1 = history.get(1);
        assertThat(v2.source()).isEqualTo(HistoryEntry.Source.FILE);
        assertThat(v2.version()).isEqualTo("2.0.0");
        assertThat(v2.origin()).isEqualTo("deploy/greeting.jar: io.handlerregistry.handler.greeting 2.0.0");
        assertThat(v2.sha256()).isEqualTo(librarySha("handler-greeting-v2"));
        assertThat(v1.sha256()).isEqualTo(librarySha("handler-greeting-v1"));
        assertThat(v1.replacedBecause()).isEqualTo("replaced by #2: " + v2.origin());
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.history("greeting").get(1).kept());

        ContinuousCalls load = new ContinuousCalls(3, this::call);
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > 1_000);
        registry.rollback("greeting", "1.0.0");
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v1") > 1_000);
        assertThat(call()).startsWith("v1");
        HistoryEntry pin = registry.history("greeting").get(0);
        assertThat(pin.label()).isEqualTo("#3 (1.0.0)");
        assertThat(pin.rollbackOf()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> stateOf("greeting.jar") == State.STANDBY);
        assertThat(detailOf("greeting.jar")).contains("pinned to #3 (1.0.0) by a rollback to #1 until a new file"
                + " for it arrives");

        // the same file again, then another file: once that one serves, the folder has seen the first
        drop("handler-greeting-v2", file);
        drop("handler-echo", deploy.resolve("echo.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("echo"));
        assertThat(call()).startsWith("v1");
        assertThat(stateOf("greeting.jar")).isEqualTo(State.STANDBY);

        long v2Answers = load.answers("v2");
        drop("handler-greeting-v2", deploy.resolve("greeting-2.jar")); // a new file: the pin ends
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answers("v2") > v2Answers + 1_000);
        assertThat(load.stop().failures()).isEmpty();
        List<HistoryEntry> after = registry.history("greeting");
        assertThat(after.get(0).origin()).isEqualTo("deploy/greeting-2.jar: io.handlerregistry.handler.greeting 2.0.0");
        assertThat(after.get(1).replacedBecause()).isEqualTo("replaced by #4: " + after.get(0).origin());
        assertThat(stateOf("greeting-2.jar")).isEqualTo(State.SERVING);
    }

    @Test
    void aRollbackAndTheHistorySurviveARestartOfTheFramework() throws Exception {
        start(OsgiFramework.persistent(storage), true);
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        drop("handler-greeting-v2", file);
        await().atMost(Duration.ofSeconds(30)).until(() -> call().startsWith("v2"));
        registry.rollback("greeting");
        assertThat(call()).startsWith("v1");
        List<HistoryEntry> before = registry.history("greeting");
        osgi.close();

        start(OsgiFramework.persistent(storage), false); // its configuration and bundles come back from the cache
        assertThat(call()).startsWith("v1"); // at once: served again before the deploy folder's first scan
        List<HistoryEntry> after = registry.history("greeting");
        assertThat(after).extracting(HistoryEntry::number).containsExactly(3, 2, 1);
        assertThat(after.get(0).serving()).isTrue();
        assertThat(after.get(0).servedFrom()).isEqualTo(before.get(0).servedFrom());
        await().atMost(Duration.ofSeconds(30)).until(() -> stateOf("greeting.jar") == State.STANDBY);
        assertThat(call()).startsWith("v1");
        assertThat(detailOf("greeting.jar")).contains("pinned to #3 (1.0.0)");
    }

    private void start(OsgiFramework framework, boolean configure) throws Exception {
        osgi = framework;
        registry = osgi.registry();
        if (configure) {
            osgi.configure("io.handlerregistry.deploy", Map.of("directory", deploy.toString(), "poll.ms", 100L));
        }
        ServiceTracker<DeployFolder, DeployFolder> tracker = new ServiceTracker<>(osgi.context(), DeployFolder.class,
                null);
        tracker.open();
        folder = tracker.waitForService(30_000);
        assertThat(folder).isNotNull();
    }

    private static void drop(String bundle, Path target) throws IOException {
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve(bundle + ".jar"), target);
    }

    /** The SHA-256 of the Linux x86-64 library in a handler bundle of this build. */
    private static String librarySha(String bundle) throws Exception {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(OsgiFramework.BUNDLES.resolve(bundle + ".jar")))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (e.getName().endsWith("/libhandler_greeting.so") && e.getName().contains("linux-x86-64")) {
                    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
                }
            }
        }
        throw new AssertionError("no Linux x86-64 library in " + bundle);
    }

    private String call() {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
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

}
