package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;

/**
 * The registry and its deploy folder are configured through Config Admin (PIDs
 * io.handlerregistry.registry and io.handlerregistry.deploy), described by metatype for the tools
 * that show typed forms, with framework properties only as the fallback of a PID without
 * configuration.
 */
class ConfigurationTest {
    private static final String REGISTRY_PID = "io.handlerregistry.registry";
    private static final String DEPLOY_PID = "io.handlerregistry.deploy";

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private OsgiFramework osgi;

    @AfterEach
    void stop() throws Exception {
        if (osgi != null) {
            osgi.close();
        }
    }

    @Test
    void aConfigurationChangeAppliesInPlaceWhileTheEndpointsKeepServing() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("echo"));
        LoadedHandler serving = registry.handler("echo").orElseThrow();

        osgi.configure(REGISTRY_PID, Map.of("handlers.directory", work.toString()));

        await().until(() -> registry.handlersDirectory().equals(work));
        assertThat(registry.handler("echo")).containsSame(serving); // not reloaded
        assertThat(call(registry, "echo", "still")).isEqualTo("still");
    }

    @Test
    void theCallLimitAppliesInPlaceToAHandlerBundlesVersion() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        Bundle slow = osgi.installHandler("handler-slow");
        slow.start();
        await().until(() -> registry.isLoaded("slow"));
        LoadedHandler serving = registry.handler("slow").orElseThrow();
        osgi.configure(REGISTRY_PID, Map.of("max.concurrent.calls", 1));
        Path gate = work.resolve("gate");
        // a new limit counts the calls that start after it changed: the held call starts afterwards
        await().untilAsserted(() -> {
            CompletableFuture<String> held = OsgiFramework.slowCallHeldAt(registry, gate);
            try {
                assertThatThrownBy(() -> call(registry, "slow", "sleep:0")).hasMessageContaining(
                        "endpoint 'slow' refused the call without starting it: 1 call is inside")
                        .hasMessageContaining("max.concurrent.calls");
            } finally {
                Files.writeString(gate, "open");
                held.get(10, TimeUnit.SECONDS);
                Files.delete(gate);
            }
        });
        CompletableFuture<String> inFlight = OsgiFramework.slowCallHeldAt(registry, gate);

        osgi.configure(REGISTRY_PID, Map.of("max.concurrent.calls", 2));
        await().ignoreExceptions().until(() -> call(registry, "slow", "sleep:0") != null); // room for a second
        Files.writeString(gate, "open");
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(registry.handler("slow")).containsSame(serving); // the same version all along
    }

    @Test
    void frameworkPropertiesAreTheFallbackOfAPidWithoutConfiguration() throws Exception {
        Path fromProperty = Files.createDirectories(work.resolve("from-property"));
        Path deploy = Files.createDirectories(work.resolve("deploy"));
        osgi = new OsgiFramework(storage, Map.of(REGISTRY_PID + ".handlers.directory", fromProperty.toString(),
                DEPLOY_PID + ".directory", deploy.toString(), DEPLOY_PID + ".poll.ms", "100"));
        HandlerRegistry registry = osgi.registry();
        assertThat(registry.handlersDirectory()).isEqualTo(fromProperty);
        Files.copy(OsgiFramework.BUNDLES.resolve("handler-echo.jar"), deploy.resolve("echo.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("echo"));

        osgi.configure(REGISTRY_PID, Map.of("handlers.directory", work.toString()));
        await().until(() -> registry.handlersDirectory().equals(work)); // a configuration wins
    }

    @Test
    void theStopAndDrainTimeoutsReachHandlerBundlesAndNativeCodeStaysUntilItsCallReturned() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        osgi.configure(REGISTRY_PID, Map.of("drain.timeout.ms", 100L, "stop.timeout.ms", 200L));
        Bundle slow = osgi.installHandler("handler-slow");
        slow.start();
        Path data = slow.getBundleContext().getDataFile("native").toPath();
        await().until(() -> registry.isLoaded("slow"));
        await().until(() -> registry.handler("slow").orElseThrow().source().contains("handler.slow"));
        Path gate = work.resolve("gate");
        CompletableFuture<String> inFlight = OsgiFramework.slowCallHeldAt(registry, gate);

        CompletableFuture<Void> stopping = OsgiFramework.stopAsync(slow);

        // the stop gives up waiting after the configured timeouts (not the default 30 s) ...
        await().atMost(Duration.ofSeconds(10)).until(stopping::isDone);
        assertThat(inFlight).isNotDone();
        assertThat(OsgiFramework.mappingsUnder(data)).as("the library of the call still inside").isNotEmpty();
        // ... and the library goes once the call returned
        Files.writeString(gate, "open");
        assertThat(inFlight.get()).isEqualTo("slow");
        await().until(() -> OsgiFramework.mappingsUnder(data).isEmpty());
    }

    @Test
    void metatypeDescribesBothConfigurationsWithTypesAndDefaults() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        osgi.registry();
        for (String name : new String[] {"org.osgi.service.log", "org.apache.felix.metatype"}) {
            osgi.install(OsgiFramework.BUNDLES.resolve(name + ".jar")).start();
        }
        Bundle core = Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.core".equals(b.getSymbolicName())).findFirst().orElseThrow();
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(osgi.context(),
                osgi.context().createFilter("(objectClass=org.osgi.service.metatype.MetaTypeService)"), null);
        tracker.open(true);
        Object metaType = tracker.waitForService(30_000);
        assertThat(metaType).as("MetaTypeService").isNotNull();
        Object information = OsgiFramework.call(metaType, "getMetaTypeInformation", new Class<?>[] {Bundle.class},
                core);

        assertThat((String[]) OsgiFramework.call(information, "getPids", new Class<?>[0]))
                .containsExactlyInAnyOrder(REGISTRY_PID, DEPLOY_PID);
        Map<String, String> registryAttributes = new TreeMap<>(Map.of(
                "isolation", "String = in-process",
                "isolation.endpoints", "String = ",
                "process.workers", "Integer = 1",
                "process.concurrency", "Integer = 16",
                "process.slot.bytes", "Integer = 1048576",
                "process.hang.grace.ms", "Long = 1000",
                "process.max.crashes", "Integer = 5",
                "process.crash.window.ms", "Long = 60000",
                "process.shutdown.timeout.ms", "Long = 10000",
                "process.memory.limit.mb", "Long = 0"));
        registryAttributes.put("process.cpu.limit.s", "Long = 0");
        registryAttributes.putAll(Map.of(
                "handlers.directory", "String = handlers",
                "copy.directory", "String = ",
                "drain.timeout.ms", "Long = 30000",
                "stop.timeout.ms", "Long = 30000",
                "init.timeout.ms", "Long = 30000",
                "max.concurrent.calls", "Integer = 256",
                "max.waiting.calls", "Integer = 0",
                "cleanup.interval.ms", "Long = 1000",
                "uninstall.replaced", "Boolean = true"));
        assertThat(attributes(information, REGISTRY_PID)).containsExactlyInAnyOrderEntriesOf(registryAttributes);
        assertThat(attributes(information, DEPLOY_PID)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "directory", "String = ",
                "poll.ms", "Long = 1000",
                "allow.other.bundles", "Boolean = false"));
        tracker.close();
    }

    /** Attribute id to "type = default" of one object class definition. */
    private static Map<String, String> attributes(Object information, String pid) throws Exception {
        Object ocd = OsgiFramework.call(information, "getObjectClassDefinition",
                new Class<?>[] {String.class, String.class}, pid, null);
        Object[] definitions = (Object[]) OsgiFramework.call(ocd, "getAttributeDefinitions", new Class<?>[] {int.class},
                -1); // ObjectClassDefinition.ALL
        Map<String, String> result = new TreeMap<>();
        for (Object definition : definitions) {
            int type = (Integer) OsgiFramework.call(definition, "getType", new Class<?>[0]);
            String[] defaults = (String[]) OsgiFramework.call(definition, "getDefaultValue", new Class<?>[0]);
            result.put((String) OsgiFramework.call(definition, "getID", new Class<?>[0]),
                    typeName(type) + " = " + (defaults == null ? "(none)" : String.join(",", defaults)));
        }
        return result;
    }

    private static String typeName(int type) {
        switch (type) { // AttributeDefinition's constants
            case 1: return "String";
            case 2: return "Long";
            case 3: return "Integer";
            case 11: return "Boolean";
            default: return "type " + type;
        }
    }

    private static String call(HandlerRegistry registry, String endpoint, String body) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }
}
