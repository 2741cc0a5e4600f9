package io.handlerregistry.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.handlerregistry.core.Handler;
import io.handlerregistry.core.HandlerRegistry;
import io.handlerregistry.core.HandlerRequest;
import io.handlerregistry.core.HandlerResponse;
import io.handlerregistry.core.LoadedHandler;
import io.handlerregistry.core.RegistryStats;
import io.handlerregistry.core.RequestContext;
import io.handlerregistry.core.SwapResult;

/**
 * The {@link HandlerRegistry} as an OSGi service, serving every endpoint for which a
 * {@link Handler} service is registered (see {@link HandlerServices} for which one serves).
 * Configuration PID {@value #PID}.
 */
@Component(service = HandlerRegistry.class, configurationPid = RegistryComponent.PID, immediate = true)
public final class RegistryComponent implements HandlerRegistry {
    static final String PID = "io.handlerregistry.core";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    /** Configuration of the registry service. */
    @interface Config {
        /** Where {@code load(id)} looks for libraries, relative to the working directory. */
        String handlers_directory() default "handlers";

        /** Drain time after which a replaced version still busy is reported (it is never cut off). */
        long drain_timeout_ms() default 30_000;

        /** How often drained versions are unloaded. */
        long cleanup_interval_ms() default 1_000;

        /** Whether a handler bundle replaced by a better one is uninstalled once it drained. */
        boolean uninstall_replaced() default true;
    }

    private final NativeHandlerRegistry registry;
    private final HandlerServices services;
    private final long cleanupIntervalMs;
    private volatile Path handlersDirectory;

    @Activate
    public RegistryComponent(BundleContext context, Config config) {
        this.cleanupIntervalMs = config.cleanup_interval_ms();
        this.handlersDirectory = Path.of(config.handlers_directory()).toAbsolutePath();
        this.registry = new NativeHandlerRegistry(HandlerRegistry.builder(handlersDirectory)
                .copyDirectory(context.getDataFile("copies").toPath())
                .cleanupInterval(Duration.ofMillis(cleanupIntervalMs)));
        this.services = new HandlerServices(registry, Duration.ofMillis(config.drain_timeout_ms()),
                config.uninstall_replaced());
    }

    /**
     * Applies a configuration change in place: re-creating the registry would unload every
     * endpoint. The cleanup interval applies from the next start.
     */
    @Modified
    void modified(Config config) {
        handlersDirectory = Path.of(config.handlers_directory()).toAbsolutePath();
        services.configure(Duration.ofMillis(config.drain_timeout_ms()), config.uninstall_replaced());
        if (config.cleanup_interval_ms() != cleanupIntervalMs) {
            LOG.log(Level.INFO, "cleanup.interval.ms={0} applies from the next start (now {1})",
                    config.cleanup_interval_ms(), cleanupIntervalMs);
        }
    }

    @Deactivate
    void deactivate() {
        services.close();
        registry.close();
    }

    @Reference(service = Handler.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "removeHandler")
    void addHandler(ServiceReference<Handler> reference, Handler handler) {
        services.added(reference, handler);
    }

    void removeHandler(ServiceReference<Handler> reference) {
        services.removed(reference);
    }

    @Override
    public Path handlersDirectory() {
        return handlersDirectory;
    }

    @Override
    public LoadedHandler load(String endpointId) {
        return registry.loadFrom(endpointId, handlersDirectory.resolve(HandlerRegistry.libraryFileName(endpointId)));
    }

    @Override
    public LoadedHandler loadFrom(String endpointId, Path library) {
        return registry.loadFrom(endpointId, library);
    }

    @Override
    public boolean unload(String endpointId) {
        return registry.unload(endpointId);
    }

    @Override
    public boolean isLoaded(String endpointId) {
        return registry.isLoaded(endpointId);
    }

    @Override
    public Set<String> endpoints() {
        return registry.endpoints();
    }

    @Override
    public Optional<LoadedHandler> handler(String endpointId) {
        return registry.handler(endpointId);
    }

    @Override
    public List<LoadedHandler> handlers() {
        return registry.handlers();
    }

    @Override
    public HandlerResponse execute(String endpointId, RequestContext context, HandlerRequest request) {
        return registry.execute(endpointId, context, request);
    }

    @Override
    public HandlerResponse executeWithTimeout(String endpointId, RequestContext context, HandlerRequest request,
            Duration timeout) {
        return registry.executeWithTimeout(endpointId, context, request, timeout);
    }

    @Override
    public CompletableFuture<HandlerResponse> executeAsync(String endpointId, RequestContext context,
            HandlerRequest request) {
        return registry.executeAsync(endpointId, context, request);
    }

    @Override
    public SwapResult swap(String endpointId, Path library) {
        return registry.swap(endpointId, library);
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout) {
        return registry.swapGraceful(endpointId, library, drainTimeout);
    }

    @Override
    public SwapResult swap(String endpointId, Handler handler, String source, String version) {
        return registry.swap(endpointId, handler, source, version);
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Handler handler, String source, String version,
            Duration drainTimeout) {
        return registry.swapGraceful(endpointId, handler, source, version, drainTimeout);
    }

    @Override
    public RegistryStats stats() {
        return registry.stats();
    }

    @Override
    public int cleanupDrained() {
        return registry.cleanupDrained();
    }

    /** The framework owns this service's life cycle: closing it is left to deactivation. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("the registry service is closed when its component deactivates");
    }
}
