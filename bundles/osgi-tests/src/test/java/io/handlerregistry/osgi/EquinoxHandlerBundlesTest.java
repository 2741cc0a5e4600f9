package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * The same bundles in Eclipse Equinox, as an application that embeds the registry would run them
 * (run by its own surefire execution, with Equinox instead of Felix on the class path).
 */
class EquinoxHandlerBundlesTest {
    @TempDir
    Path storage;

    @Test
    void handlerBundlesServeAndSwapInEquinox() throws Exception {
        try (OsgiFramework osgi = new OsgiFramework(storage, Map.of())) {
            assertThat(osgi.name()).isEqualTo("org.eclipse.osgi");
            HandlerRegistry registry = osgi.registry();
            osgi.installHandler("handler-echo").start();
            Bundle v1 = osgi.installHandler("handler-greeting-v1");
            v1.start();
            await().until(() -> registry.isLoaded("echo") && registry.isLoaded("greeting"));

            assertThat(registry.execute("echo", RequestContext.of(5), HandlerRequest.of("ping")).bodyAsString())
                    .isEqualTo("ping");
            assertThat(call(registry)).startsWith("v1 x");

            osgi.installHandler("handler-greeting-v2").start();
            assertThat(call(registry)).startsWith("v2 x");
            await().until(() -> v1.getState() == Bundle.UNINSTALLED);
        }
    }

    private static String call(HandlerRegistry registry) {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of("x")).bodyAsString();
    }
}
