package io.handlerregistry.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
import org.osgi.service.metatype.annotations.Designate;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.api.SwapResult;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.engine.ProcessIsolation;
import io.handlerregistry.spi.Handler;

/**
 * The {@link HandlerRegistry} as an OSGi service, serving every endpoint for which a
 * {@link Handler} service is registered (see {@link HandlerServices} for which one serves).
 * Configuration: {@link RegistryConfiguration}, PID {@value #PID}.
 */
@Component(service = HandlerRegistry.class, configurationPid = RegistryComponent.PID, immediate = true)
@Designate(ocd = RegistryConfiguration.class)
public final class RegistryComponent implements HandlerRegistry {
    static final String PID = "io.handlerregistry.registry";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final BundleContext context;
    private final NativeHandlerRegistry registry;
    private final HandlerServices services;
    private final long cleanupIntervalMs;
    private volatile Path handlersDirectory;

    @Activate
    public RegistryComponent(BundleContext context, RegistryConfiguration config, Map<String, Object> properties,
            @Reference HandlerBundles bundles) {
        this.context = context;
        Resolved settings = Resolved.of(config, properties, context);
        this.cleanupIntervalMs = settings.cleanupIntervalMs;
        this.registry = NativeHandlerRegistry.builder(settings.handlersDirectory)
                .copyDirectory(settings.copyDirectory.isBlank() ? context.getDataFile("copies").toPath()
                        : Path.of(settings.copyDirectory))
                .cleanupInterval(Duration.ofMillis(cleanupIntervalMs))
                .initTimeout(Duration.ofMillis(settings.initTimeoutMs))
                .callLimits(settings.maxConcurrentCalls, settings.maxWaitingCalls)
                .build();
        registry.configureIsolation(settings.isolation, settings.isolationByEndpoint, settings.processIsolation);
        LOG.log(Level.INFO, "handler registry started: in-process calls go through {0}",
                NativeHandlerRegistry.callPath());
        this.handlersDirectory = registry.handlersDirectory();
        this.services = new HandlerServices(registry, bundles, settings.drainTimeout, settings.uninstallReplaced);
        BundleHandler.configure(settings.stopTimeout, registry, Duration.ofMillis(settings.initTimeoutMs));
    }

    /**
     * Applies a configuration change in place: re-creating the registry would unload every
     * endpoint. The cleanup interval, the init timeout and the copy directory apply from the next start.
     */
    @Modified
    void modified(RegistryConfiguration config, Map<String, Object> properties) {
        Resolved settings = Resolved.of(config, properties, context);
        handlersDirectory = settings.handlersDirectory;
        services.configure(settings.drainTimeout, settings.uninstallReplaced);
        registry.configureLimits(settings.maxConcurrentCalls, settings.maxWaitingCalls);
        registry.configureIsolation(settings.isolation, settings.isolationByEndpoint, settings.processIsolation);
        BundleHandler.configure(settings.stopTimeout, registry, Duration.ofMillis(settings.initTimeoutMs));
        if (settings.cleanupIntervalMs != cleanupIntervalMs) {
            LOG.log(Level.INFO, "cleanup.interval.ms={0} of {1} applies from the next start (now {2})",
                    settings.cleanupIntervalMs, PID, cleanupIntervalMs);
        }
    }

    @Deactivate
    void deactivate() {
        services.close();
        registry.close();
    }

    /** The settings of one configuration, framework property fallbacks applied (see {@link Settings}). */
    private static final class Resolved {
        final Path handlersDirectory;
        final String copyDirectory;
        final Duration drainTimeout;
        final Duration stopTimeout;
        final long cleanupIntervalMs;
        final long initTimeoutMs;
        final boolean uninstallReplaced;
        final int maxConcurrentCalls;
        final int maxWaitingCalls;
        final Isolation isolation;
        final Map<String, Isolation> isolationByEndpoint;
        final ProcessIsolation processIsolation;

        private Resolved(Settings settings, RegistryConfiguration config) {
            handlersDirectory = Path.of(settings.string("handlers.directory", config.handlers_directory()))
                    .toAbsolutePath();
            copyDirectory = settings.string("copy.directory", config.copy_directory());
            drainTimeout = Duration.ofMillis(settings.number("drain.timeout.ms", config.drain_timeout_ms()));
            stopTimeout = Duration.ofMillis(settings.number("stop.timeout.ms", config.stop_timeout_ms()));
            cleanupIntervalMs = settings.number("cleanup.interval.ms", config.cleanup_interval_ms());
            initTimeoutMs = Math.max(1, settings.number("init.timeout.ms", config.init_timeout_ms()));
            uninstallReplaced = settings.flag("uninstall.replaced", config.uninstall_replaced());
            maxConcurrentCalls = (int) Math.max(0, Math.min(Integer.MAX_VALUE,
                    settings.number("max.concurrent.calls", config.max_concurrent_calls())));
            maxWaitingCalls = (int) Math.max(0, Math.min(Integer.MAX_VALUE,
                    settings.number("max.waiting.calls", config.max_waiting_calls())));
            isolation = isolation(settings.string("isolation", config.isolation()), Isolation.IN_PROCESS, "isolation");
            isolationByEndpoint = isolationByEndpoint(settings.string("isolation.endpoints",
                    config.isolation_endpoints()));
            processIsolation = processIsolation(settings, config);
        }

        private static Isolation isolation(String text, Isolation fallback, String key) {
            try {
                return Isolation.parse(text);
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "{0} of {1}: {2}; using {3}", key, PID, e.getMessage(), fallback);
                return fallback;
            }
        }

        /** "a=process, b=in-process": entries that do not parse are logged and left out. */
        private static Map<String, Isolation> isolationByEndpoint(String text) {
            Map<String, Isolation> result = new java.util.HashMap<>();
            for (String entry : text.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                int equals = entry.indexOf('=');
                String endpoint = equals < 0 ? entry.strip() : entry.substring(0, equals).strip();
                try {
                    HandlerRegistry.checkEndpointId(endpoint);
                    if (equals < 0) {
                        throw new IllegalArgumentException("no =mode after it");
                    }
                    result.put(endpoint, Isolation.parse(entry.substring(equals + 1)));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "isolation.endpoints of {0}: ''{1}'' is left out ({2}); write"
                            + " endpoint=in-process or endpoint=process, separated by commas", PID, entry.strip(),
                            e.getMessage());
                }
            }
            return result;
        }

        private static ProcessIsolation processIsolation(Settings settings, RegistryConfiguration config) {
            try {
                return new ProcessIsolation(
                        (int) settings.number("process.workers", config.process_workers()),
                        (int) settings.number("process.concurrency", config.process_concurrency()),
                        (int) settings.number("process.slot.bytes", config.process_slot_bytes()),
                        Duration.ofMillis(settings.number("process.hang.grace.ms", config.process_hang_grace_ms())),
                        (int) settings.number("process.max.crashes", config.process_max_crashes()),
                        Duration.ofMillis(settings.number("process.crash.window.ms", config.process_crash_window_ms())),
                        Duration.ofMillis(settings.number("process.shutdown.timeout.ms",
                                config.process_shutdown_timeout_ms())),
                        settings.number("process.memory.limit.mb", config.process_memory_limit_mb()) << 20,
                        settings.number("process.cpu.limit.s", config.process_cpu_limit_s()));
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "the process isolation settings of {0} are refused ({1}); using the defaults",
                        PID, e.getMessage());
                return ProcessIsolation.DEFAULTS;
            }
        }

        static Resolved of(RegistryConfiguration config, Map<String, Object> properties, BundleContext context) {
            return new Resolved(new Settings(PID, properties, context), config);
        }
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
    public LoadedHandler loadFrom(String endpointId, Path library, Isolation isolation) {
        return registry.loadFrom(endpointId, library, isolation);
    }

    @Override
    public SwapResult swap(String endpointId, Path library, Isolation isolation) {
        return registry.swap(endpointId, library, isolation);
    }

    @Override
    public SwapResult swapGraceful(String endpointId, Path library, Duration drainTimeout, Isolation isolation) {
        return registry.swapGraceful(endpointId, library, drainTimeout, isolation);
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
    public <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            ResponseReader<T> reader) {
        return registry.execute(endpointId, context, request, reader);
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
    public RegistryStats stats() {
        return registry.stats();
    }

    @Override
    public int cleanupDrained() {
        return registry.cleanupDrained();
    }
}
