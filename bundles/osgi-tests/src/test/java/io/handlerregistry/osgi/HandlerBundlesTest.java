package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;

import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.spi.Handler;

/** Handler bundles in an embedded Felix: served, replaced under load, stopped mid-call, refused. */
class HandlerBundlesTest {
    private static final int CALLERS = 4;

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private OsgiFramework osgi;
    private HandlerRegistry registry;

    @BeforeEach
    void start() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        assertThat(osgi.name()).isEqualTo("org.apache.felix.framework");
        registry = osgi.registry();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
    }

    /** Registers a Handler service written in Java, from the test, for an endpoint. */
    private ServiceRegistration<Handler> registerJavaHandler(String endpoint, Handler handler) {
        return osgi.context().registerService(Handler.class, handler,
                new java.util.Hashtable<>(Map.of(Handler.ENDPOINT, endpoint)));
    }

    private static HandlerResponse text(String body) {
        return new HandlerResponse(200, List.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    private String call(String endpoint, String body) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }

    @Test
    void installingV2WhileThreadsCallSwitchesWithoutAFailureAndUninstallsV1OnceDrained() throws Exception {
        Bundle v1 = osgi.installHandler("handler-greeting-v1");
        v1.start();
        Path v1Data = v1.getBundleContext().getDataFile("native").toPath();
        await().until(() -> registry.isLoaded("greeting"));
        assertThat(call("greeting", "hi")).startsWith("v1 hi");
        assertThat(OsgiFramework.mappingsUnder(v1Data)).isNotEmpty();

        ContinuousCalls load = new ContinuousCalls(CALLERS, () -> call("greeting", "hi"));
        await().until(() -> load.calls() > 1_000);

        Bundle v2 = osgi.installHandler("handler-greeting-v2");
        v2.start();

        await().until(() -> load.answers("v2") > 1_000);
        load.stop();
        assertThat(load.failures()).isEmpty();
        // each thread was answered by v1, then by v2, never by v1 again
        assertThat(load.switchesPerThread()).allSatisfy(seen -> assertThat(seen).isIn(List.of("v1", "v2"), List.of("v2")));
        await().until(() -> v1.getState() == Bundle.UNINSTALLED);
        assertThat(OsgiFramework.mappingsUnder(v1Data)).isEmpty();
        assertThat(v2.getState()).isEqualTo(Bundle.ACTIVE);
        assertThat(call("greeting", "hi")).startsWith("v2 hi");
        LoadedHandler serving = registry.handler("greeting").orElseThrow();
        assertThat(serving.source()).contains("io.handlerregistry.handler.greeting 2.0.0");
        await().until(() -> registry.stats().drainingCount() == 0);
    }

    @Test
    void stoppingAHandlerBundleDuringASlowCallWaitsForTheCall() throws Exception {
        Bundle slow = osgi.installHandler("handler-slow");
        slow.start();
        Path data = slow.getBundleContext().getDataFile("native").toPath();
        await().until(() -> registry.isLoaded("slow"));
        Path gate = work.resolve("gate");
        CompletableFuture<String> inFlight = OsgiFramework.slowCallHeldAt(registry, gate);

        CompletableFuture<Void> stopping = OsgiFramework.stopAsync(slow);

        await().until(() -> !registry.isLoaded("slow")); // no new calls from the moment it stops
        assertThatThrownBy(() -> call("slow", "sleep:0")).isInstanceOf(EndpointNotFoundException.class);
        assertThat(stopping).isNotDone(); // the gate is closed: the call is inside, the stop waits
        assertThat(OsgiFramework.mappingsUnder(data)).isNotEmpty();

        Files.writeString(gate, "open");
        assertThat(inFlight.get()).isEqualTo("slow");
        stopping.get();
        assertThat(slow.getState()).isEqualTo(Bundle.RESOLVED);
        assertThat(OsgiFramework.mappingsUnder(data)).isEmpty();
        await().until(() -> registry.stats().drainingCount() == 0);
    }

    /** A handler bundle test.&lt;endpoint&gt; 1.0.0 whose only library is for macOS on ARM. */
    private Path macOnlyHandlerBundle(String endpoint, Map<String, String> moreHeaders) {
        Map<String, String> headers = new java.util.HashMap<>(Map.of(
                "Bundle-ManifestVersion", "2",
                "Bundle-SymbolicName", "test." + endpoint,
                "Bundle-Version", "1.0.0",
                "Bundle-Activator", "io.handlerregistry.bundle.NativeHandlerActivator",
                "Import-Package", "io.handlerregistry.bundle",
                "Handler-Endpoint", endpoint));
        headers.putAll(moreHeaders);
        return OsgiFramework.jar(work.resolve(endpoint + ".jar"), headers, Map.of(
                "native/darwin-aarch64/libhandler_" + endpoint + ".dylib",
                "not for here".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aBundleWithoutALibraryForThisPlatformFailsToStartAndSaysWhere() throws Exception {
        Bundle bundle = osgi.install(macOnlyHandlerBundle("nolib", Map.of()));

        assertThatThrownBy(bundle::start)
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("test.nolib 1.0.0")
                .hasMessageContaining("no native library for this platform, linux-x86-64")
                .hasMessageContaining("native/linux-x86-64/libhandler_nolib.so")
                .hasMessageContaining("darwin-aarch64");
        assertThat(registry.isLoaded("nolib")).isFalse();
    }

    @Test
    void aHandlerBundleForAnotherPlatformIsRefusedByTheResolverWithItsStandardMessage() throws Exception {
        // the requirement the build generates for a bundle whose only library is for macOS on ARM
        Path nativeDir = Files.createDirectories(work.resolve("native/darwin-aarch64")).getParent();
        String requirement = OsgiFramework.nativeRequirement(nativeDir);
        assertThat(requirement).contains("(osgi.native.osname~=macosx)(osgi.native.processor~=aarch64)");
        Bundle bundle = osgi.install(macOnlyHandlerBundle("foreign", Map.of("Require-Capability", requirement)));

        assertThatThrownBy(bundle::start)
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("test.foreign")
                .hasMessageContaining("missing requirement")
                .hasMessageContaining("osgi.native");
        assertThat(bundle.getState()).isEqualTo(Bundle.INSTALLED);
        assertThat(registry.isLoaded("foreign")).isFalse();
    }

    @Test
    void theBuiltHandlerBundlesRequireThePlatformOfTheirLibrary() throws Exception {
        Bundle echo = osgi.installHandler("handler-echo");
        assertThat(echo.getHeaders().get("Require-Capability"))
                .isEqualTo("osgi.native;filter:=\"(|(&(osgi.native.osname~=linux)(osgi.native.processor~=x86-64)))\"");
        echo.start(); // resolves here: this machine is linux-x86-64
        await().until(() -> registry.isLoaded("echo"));
    }

    @Test
    void anInitFailureOfANewVersionLeavesTheServingOneServing() throws Exception {
        Bundle v1 = osgi.installHandler("handler-greeting-v1");
        v1.start();
        await().until(() -> registry.isLoaded("greeting"));

        Bundle broken = osgi.installHandler("handler-greeting-broken");
        assertThatThrownBy(broken::start)
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("io.handlerregistry.handler.greeting 3.0.0")
                .hasMessageContaining("failed with code 7: configuration file handler.conf not found");

        assertThat(call("greeting", "still")).startsWith("v1 still");
        assertThat(v1.getState()).isEqualTo(Bundle.ACTIVE);
        assertThat(registry.stats().loadedCount()).isEqualTo(1);
    }

    @Test
    void whenTheServingBundleStopsTheEndpointFallsBackToAnotherVersion() throws Exception {
        Bundle v2 = osgi.installHandler("handler-greeting-v2");
        v2.start();
        await().until(() -> registry.isLoaded("greeting"));
        Bundle v1 = osgi.installHandler("handler-greeting-v1"); // older: waits in reserve, never serves
        v1.start();
        assertThat(call("greeting", "a")).startsWith("v2 a");
        assertThat(v1.getState()).isEqualTo(Bundle.ACTIVE);

        v2.stop();
        assertThat(call("greeting", "b")).startsWith("v1 b");
        v1.stop();
        assertThat(registry.isLoaded("greeting")).isFalse();
    }

    @Test
    void stoppingTheServingBundleUnderLoadFallsBackWithoutAFailedCall() throws Exception {
        Bundle v1 = osgi.installHandler("handler-greeting-v1");
        v1.start();
        Bundle v2 = osgi.installHandler("handler-greeting-v2");
        v2.start(); // replaces v1, which is uninstalled once drained
        await().until(() -> v1.getState() == Bundle.UNINSTALLED);
        Bundle reserve = osgi.installHandler("handler-greeting-v1");
        reserve.start(); // older than the serving v2: waits in reserve

        ContinuousCalls load = new ContinuousCalls(CALLERS, () -> call("greeting", "hi"));
        await().until(() -> load.answers("v2") > 100);
        v2.stop();
        await().until(() -> load.answers("v1") > 1_000);
        assertThat(load.stop().failures()).isEmpty();
    }

    @Test
    void aReaderGetsTheBodyOfAHandlerBundleWhereItLiesOnJdk22AndNeverAfterTheHandlerFreedIt() throws Exception {
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("echo"));
        byte[] large = new byte[256 * 1024]; // larger than the scratch buffer: echo mallocs it, frees it in handler_release
        Arrays.fill(large, (byte) 'B');
        AtomicReference<ByteBuffer> kept = new AtomicReference<>();

        byte[] read = registry.execute("echo", RequestContext.create(), HandlerRequest.builder().body(large).build(),
                (response, body) -> {
                    kept.set(body);
                    byte[] bytes = new byte[body.remaining()];
                    body.get(bytes);
                    return bytes;
                });

        assertThat(read).isEqualTo(large);
        ByteBuffer afterRelease = kept.get();
        if (Runtime.version().feature() >= 22) { // a view of echo's memory, through the bundle's own version
            assertThat(afterRelease.isDirect()).isTrue();
            assertThatThrownBy(() -> afterRelease.get(0)).isInstanceOf(IllegalStateException.class);
        } else { // a copy
            assertThat(afterRelease.isDirect()).isFalse();
            assertThat(afterRelease.get(0)).isEqualTo((byte) 'B');
        }
        // the reader's exception reaches the caller as it is, through both versions, and is no failure
        IllegalArgumentException thrown = new IllegalArgumentException("the reader's own");
        assertThatThrownBy(() -> registry.execute("echo", RequestContext.create(), HandlerRequest.of("x"),
                (response, body) -> {
                    throw thrown;
                })).isSameAs(thrown);
        assertThat(registry.handler("echo").orElseThrow().failedCalls()).isZero();
    }

    @Test
    void aJavaHandlerServiceServesAnEndpointToo() {
        var registration = registerJavaHandler("java", (context, request) -> text("java:" + request.path()));
        assertThat(registry.execute("java", RequestContext.create(), HandlerRequest.builder().path("/p").build())
                .bodyAsString()).isEqualTo("java:/p");
        String read = registry.execute("java", RequestContext.create(), HandlerRequest.builder().path("/r").build(),
                (response, body) -> response.status() + " " + StandardCharsets.UTF_8.decode(body));
        assertThat(read).isEqualTo("200 java:/r"); // through the service, the body from the response's array
        registration.unregister();
        assertThat(registry.isLoaded("java")).isFalse();
    }

    @Test
    void unregisteringAHandlerServiceWaitsForTheCallsTheRegistryRoutedToIt() throws Exception {
        // the service's owner releases what the handler uses once unregister returns: no registry
        // call may still be inside then. The gate holds a call in the handler itself, so the test
        // does not depend on a race being lost.
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        var registration = registerJavaHandler("gated", (context, request) -> {
            entered.countDown();
            gate.join();
            return text("done");
        });
        CompletableFuture<String> inFlight = registry.executeAsync("gated", RequestContext.create(),
                HandlerRequest.of("x")).thenApply(r -> r.bodyAsString());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> unregistering = CompletableFuture.runAsync(registration::unregister,
                OsgiFramework::ownThread);
        try {
            await().until(() -> !registry.isLoaded("gated")); // new calls no longer go there
            assertThatThrownBy(() -> call("gated", "y")).isInstanceOf(EndpointNotFoundException.class);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> !unregistering.isDone());
        } finally {
            gate.complete(null); // also when an assertion failed: the framework must not wait on it
        }
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("done");
        unregistering.get(10, TimeUnit.SECONDS);
    }

    @Test
    void twoBundlesOfferingTheSameVersionResolveDeterministicallyToTheNewerService() throws Exception {
        Bundle first = osgi.installHandler("handler-greeting-v1");
        first.start();
        await().until(() -> registry.isLoaded("greeting"));
        Path copy = work.resolve("greeting-copy.jar");
        // same endpoint and version 1.0.0, another symbolic name
        try (var in = new java.util.jar.JarFile(OsgiFramework.BUNDLES.resolve("handler-greeting-v1.jar").toFile())) {
            Map<String, String> headers = new java.util.TreeMap<>();
            in.getManifest().getMainAttributes().forEach((k, v) -> headers.put(k.toString(), v.toString()));
            headers.remove("Manifest-Version");
            headers.put("Bundle-SymbolicName", "test.greeting.copy");
            Map<String, byte[]> entries = new java.util.TreeMap<>();
            for (var e : java.util.Collections.list(in.entries())) {
                if (!e.isDirectory() && !e.getName().startsWith("META-INF/")) {
                    entries.put(e.getName(), in.getInputStream(e).readAllBytes());
                }
            }
            OsgiFramework.jar(copy, headers, entries);
        }
        Bundle second = osgi.install(copy);
        second.start();

        assertThat(registry.handler("greeting").orElseThrow().source()).contains("test.greeting.copy 1.0.0");
        await().until(() -> first.getState() == Bundle.UNINSTALLED);
        assertThat(call("greeting", "x")).startsWith("v1 x");
    }
}
