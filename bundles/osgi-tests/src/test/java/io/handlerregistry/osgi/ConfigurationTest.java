package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
import io.handlerregistry.api.HandlerResponse;
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
    void aWrongNumberIsOneLineNamingKeyAndValueAndTheLimitInForceStays() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        osgi.installHandler("handler-slow").start();
        await().until(() -> registry.isLoaded("slow"));
        osgi.configure(REGISTRY_PID, Map.of("max.concurrent.calls", 1));
        await().untilAsserted(() -> assertOneCallAtATime(registry));

        try (LogLines log = LogLines.capture()) {
            // as Karaf's config:property-set sets them (strings), and as typed values
            for (Object wrong : List.of("abc", "-7", -7, "99999999999", 99_999_999_999L, "1.5", "")) {
                osgi.configure(REGISTRY_PID, Map.of("max.concurrent.calls", wrong));
                await().until(() -> !log.containing("max.concurrent.calls=").isEmpty());
                assertThat(log.containing("max.concurrent.calls=")).singleElement().asString()
                        .startsWith("io.handlerregistry.registry: max.concurrent.calls=" + (wrong.equals("") ? "empty"
                                : wrong) + " is refused: it needs a whole number ")
                        .endsWith("; max.concurrent.calls stays 1");
                assertOneCallAtATime(registry);
                assertThat(log.records()).allSatisfy(r -> assertThat(r.getThrown()).isNull());
                log.clear();
            }
        }
        osgi.configure(REGISTRY_PID, Map.of("max.concurrent.calls", " 2 "));
        await().untilAsserted(() -> assertCallsAtOnce(registry, 2));
    }

    @Test
    void everySettingOfBothPidsIsCheckedAndAWrongOneKeepsItsValue() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        Path before = registry.handlersDirectory();
        Path file = Files.writeString(work.resolve("a-file"), "not a directory");
        Map<String, Object> registryValues = new TreeMap<>(Map.of(
                "handlers.directory", file.toString(),
                "copy.directory", file.toString(),
                "drain.timeout.ms", "soon",
                "stop.timeout.ms", -1,
                "init.timeout.ms", "0",
                "max.concurrent.calls", "abc",
                "max.waiting.calls", "-7",
                "cleanup.interval.ms", 0L,
                "uninstall.replaced", "yes",
                "isolation", "container"));
        registryValues.putAll(Map.of(
                "isolation.endpoints", "echo=process, imaging=proces",
                "process.workers", 65,
                "process.concurrency", "0",
                "process.slot.bytes", "1024",
                "process.hang.grace.ms", "1s",
                "process.max.crashes", 0,
                "process.crash.window.ms", "-1",
                "process.shutdown.timeout.ms", "forever",
                "process.memory.limit.mb", "-1",
                "process.cpu.limit.s", "lots"));
        registryValues.put("history.size", 0);
        registryValues.put("history.directory", file.toString());
        registryValues.putAll(Map.of(
                "splits", "greeting=2.0.0",
                "guard.enabled", "sometimes",
                "guard.window.s", 0,
                "guard.max.failure.ratio", "2",
                "guard.min.requests", "0",
                "guard.promote.after.s", "-1",
                "guard.watch.s", "soon",
                "guard.endpoints", "greeting windw.s=3"));
        registryValues.put("max.concurent.calls", "1"); // a misspelled key
        Map<String, Object> deployValues = Map.of("directory", file.toString(), "poll.ms", "10",
                "allow.other.bundles", "sometimes");
        assertThat(registryValues.keySet()).as("a wrong value for every setting (see the metatype)")
                .containsAll(metatype(REGISTRY_PID).keySet());
        assertThat(deployValues.keySet()).containsAll(metatype(DEPLOY_PID).keySet());
        Map<String, String> deployDefaults = metatype(DEPLOY_PID);

        try (LogLines log = LogLines.capture()) {
            osgi.configure(REGISTRY_PID, registryValues);
            osgi.configure(DEPLOY_PID, deployValues);

            await().untilAsserted(() -> assertThat(log.containing(" is refused: "))
                    .hasSize(registryValues.size() - 1 + deployValues.size()));
            metatype(REGISTRY_PID).forEach((key, typeAndDefault) -> assertRefused(log, REGISTRY_PID, key,
                    registryValues.get(key), typeAndDefault));
            deployValues.forEach((key, value) -> assertRefused(log, DEPLOY_PID, key, value,
                    deployDefaults.get(key)));
            assertThat(log.containing("max.concurent.calls")).singleElement().asString().isEqualTo(
                    "io.handlerregistry.registry: max.concurent.calls is no setting and is ignored; did you mean"
                            + " max.concurrent.calls?");
            assertThat(log.records()).allSatisfy(r -> assertThat(r.getThrown()).isNull());
        }
        assertThat(registry.handlersDirectory()).isEqualTo(before);
        osgi.installHandler("handler-echo").start(); // the registry serves on, with what was in force
        await().until(() -> registry.isLoaded("echo"));
        assertThat(call(registry, "echo", "after")).isEqualTo("after");
        assertThat(registry.handler("echo").orElseThrow().isolation().label()).isEqualTo("in-process");
    }

    @Test
    void aWrongDeploySettingKeepsTheFolderWatchedAsBefore() throws Exception {
        osgi = new OsgiFramework(storage, Map.of());
        HandlerRegistry registry = osgi.registry();
        Path deploy = Files.createDirectories(work.resolve("deploy"));
        osgi.configure(DEPLOY_PID, Map.of("directory", deploy.toString(), "poll.ms", 100L));
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve("handler-echo.jar"), deploy.resolve("echo.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("echo"));

        try (LogLines log = LogLines.capture()) {
            osgi.configure(DEPLOY_PID, Map.of("directory", deploy.resolve("echo.jar").toString(), "poll.ms", "-1"));
            await().until(() -> log.containing(" is refused: ").size() == 2);
            assertThat(log.containing("directory=")).singleElement().asString().isEqualTo("io.handlerregistry.deploy:"
                    + " directory=" + deploy.resolve("echo.jar") + " is refused: it is a file, not a directory; directory stays "
                    + deploy);
            assertThat(log.containing("poll.ms=")).singleElement().asString().isEqualTo("io.handlerregistry.deploy:"
                    + " poll.ms=-1 is refused: it needs a whole number of at least 50; poll.ms stays 100");
        }
        // the folder is still watched: a new file in it is served
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve("handler-greeting-v1.jar"), deploy.resolve("greeting.jar"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.isLoaded("greeting"));
        assertThat(call(registry, "echo", "still")).isEqualTo("still");
    }

    private static void assertRefused(LogLines log, String pid, String key, Object value, String typeAndDefault) {
        String shown = value.toString();
        String previous = typeAndDefault.substring(typeAndDefault.indexOf(" = ") + 3);
        assertThat(log.containing(pid + ": " + key + "=")).as(key).singleElement().asString()
                .startsWith(pid + ": " + key + "=" + shown + " is refused: ")
                .endsWith("; " + key + " stays " + (previous.isEmpty() ? "empty" : previous));
    }

    /** Attribute id to "type = default" of one PID's metatype (the metatype bundle installed for it). */
    private Map<String, String> metatype(String pid) throws Exception {
        Bundle core = Arrays.stream(osgi.context().getBundles())
                .filter(b -> "io.handlerregistry.core".equals(b.getSymbolicName())).findFirst().orElseThrow();
        if (Arrays.stream(osgi.context().getBundles())
                .noneMatch(b -> "org.apache.felix.metatype".equals(b.getSymbolicName()))) {
            for (String name : new String[] {"org.osgi.service.log", "org.apache.felix.metatype"}) {
                osgi.install(OsgiFramework.BUNDLES.resolve(name + ".jar")).start();
            }
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(osgi.context(),
                osgi.context().createFilter("(objectClass=org.osgi.service.metatype.MetaTypeService)"), null);
        tracker.open(true);
        try {
            Object metaType = tracker.waitForService(30_000);
            assertThat(metaType).as("MetaTypeService").isNotNull();
            return attributes(OsgiFramework.call(metaType, "getMetaTypeInformation", new Class<?>[] {Bundle.class},
                    core), pid);
        } finally {
            tracker.close();
        }
    }

    /** One call of slow is held inside; a second one is refused: the limit is 1. */
    private void assertOneCallAtATime(HandlerRegistry registry) throws Exception {
        assertCallsAtOnce(registry, 1);
    }

    /** {@code limit} calls of slow are held inside; one more is refused. */
    private void assertCallsAtOnce(HandlerRegistry registry, int limit) throws Exception {
        List<Path> gates = new java.util.ArrayList<>();
        List<CompletableFuture<HandlerResponse>> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < limit; i++) {
                Path gate = work.resolve("gate-" + i);
                gates.add(gate);
                held.add(registry.executeAsync("slow", RequestContext.create(), HandlerRequest.of("wait:" + gate)));
                long inside = i + 1;
                await().until(() -> registry.handler("slow").map(LoadedHandler::activeRequests).orElse(0L) == inside);
            }
            assertThatThrownBy(() -> call(registry, "slow", "sleep:0")).hasMessageContaining(
                    "endpoint 'slow' refused the call without starting it: " + CALLS_INSIDE[limit])
                    .hasMessageContaining("max.concurrent.calls");
        } finally {
            for (Path gate : gates) {
                Files.writeString(gate, "open");
            }
            for (CompletableFuture<HandlerResponse> call : held) {
                call.get(10, TimeUnit.SECONDS);
            }
            for (Path gate : gates) {
                Files.delete(gate);
            }
        }
    }

    private static final String[] CALLS_INSIDE = {"", "1 call is inside", "2 calls are inside"};

    @Test
    void frameworkPropertiesAreTheFallbackOfAPidWithoutConfiguration() throws Exception {
        Path fromProperty = Files.createDirectories(work.resolve("from-property"));
        Path deploy = Files.createDirectories(work.resolve("deploy"));
        try (LogLines log = LogLines.capture()) {
            osgi = new OsgiFramework(storage, Map.of(REGISTRY_PID + ".handlers.directory", fromProperty.toString(),
                    DEPLOY_PID + ".directory", deploy.toString(), DEPLOY_PID + ".poll.ms", "100",
                    REGISTRY_PID + ".max.waiting.calls", "many"));
            osgi.registry();
            assertThat(log.containing("max.waiting.calls")).singleElement().asString().isEqualTo("framework property"
                    + " io.handlerregistry.registry.max.waiting.calls=many is refused: it needs a whole number of at"
                    + " least 0; max.waiting.calls stays 0");
        }
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
        registryAttributes.put("history.size", "Integer = 5");
        registryAttributes.put("history.directory", "String = ");
        registryAttributes.putAll(Map.of(
                "splits", "String = ",
                "guard.enabled", "Boolean = false",
                "guard.window.s", "Long = 60",
                "guard.max.failure.ratio", "String = 0.1",
                "guard.min.requests", "Long = 20",
                "guard.promote.after.s", "Long = 0",
                "guard.watch.s", "Long = 600",
                "guard.endpoints", "String = "));
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
