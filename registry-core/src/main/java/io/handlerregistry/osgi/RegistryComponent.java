package io.handlerregistry.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
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

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.api.SwapResult;
import io.handlerregistry.engine.GuardSettings;
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

    private final Settings settings;
    private final NativeHandlerRegistry registry;
    private final HandlerServices services;
    private final long cleanupIntervalMs;
    private final String historyDirectory;
    private volatile Path handlersDirectory;
    private volatile ProcessIsolation processIsolation;
    private final ConfiguredSplits splits;

    /**
     * The configuration comes as a map, not as a {@link RegistryConfiguration} (which describes it in
     * the metatype): {@link Settings} checks each value, where DS's conversion would fail the
     * component for one wrong value.
     */
    @Activate
    public RegistryComponent(BundleContext context, Map<String, Object> properties,
            @Reference HandlerBundles bundles) {
        this.settings = new Settings(PID, context);
        Resolved settings = Resolved.of(this.settings, properties, ProcessIsolation.DEFAULTS);
        this.cleanupIntervalMs = settings.cleanupIntervalMs;
        this.registry = NativeHandlerRegistry.builder(settings.handlersDirectory)
                .copyDirectory(settings.copyDirectory.isBlank() ? context.getDataFile("copies").toPath()
                        : Path.of(settings.copyDirectory))
                .cleanupInterval(Duration.ofMillis(cleanupIntervalMs))
                .initTimeout(Duration.ofMillis(settings.initTimeoutMs))
                .closeTimeout(settings.stopTimeout) // README: the close timeout is stop.timeout.ms
                .callLimits(settings.maxConcurrentCalls, settings.maxWaitingCalls)
                .historyDirectory(settings.historyDirectory.isBlank() ? context.getDataFile("history").toPath()
                        : Path.of(settings.historyDirectory))
                .historySize(settings.historySize)
                .build();
        this.historyDirectory = settings.historyDirectory;
        registry.configureIsolation(settings.isolation, settings.isolationByEndpoint, settings.processIsolation);
        this.processIsolation = settings.processIsolation;
        LOG.log(Level.INFO, "handler registry started: in-process calls go through {0}",
                NativeHandlerRegistry.callPath());
        this.handlersDirectory = registry.handlersDirectory();
        BundleHandler.configure(settings.stopTimeout, registry, Duration.ofMillis(settings.initTimeoutMs));
        // before any Handler service is bound: a handler bundle that a rollback held back must not serve first
        registry.restorePinned();
        Bundle framework = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        this.services = new HandlerServices(registry, bundles, settings.drainTimeout, settings.uninstallReplaced,
                () -> framework.getState() == Bundle.STOPPING);
        registry.configureRollbackHook(this::holdBackIfPinned);
        registry.configureGuard(settings.guard, settings.guardByEndpoint);
        this.splits = new ConfiguredSplits(registry, PID);
        splits.configure(settings.splits);
        registry.onGuardTick(splits::applyPending);
    }

    /**
     * Applies a configuration change in place: re-creating the registry would unload every
     * endpoint. The cleanup interval, the init timeout and the copy directory apply from the next start.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        Resolved settings = Resolved.of(this.settings, properties, processIsolation);
        handlersDirectory = settings.handlersDirectory;
        services.configure(settings.drainTimeout, settings.uninstallReplaced);
        registry.configureLimits(settings.maxConcurrentCalls, settings.maxWaitingCalls);
        registry.configureIsolation(settings.isolation, settings.isolationByEndpoint, settings.processIsolation);
        registry.configureCloseTimeout(settings.stopTimeout);
        processIsolation = settings.processIsolation;
        BundleHandler.configure(settings.stopTimeout, registry, Duration.ofMillis(settings.initTimeoutMs));
        registry.configureHistory(settings.historySize);
        registry.configureGuard(settings.guard, settings.guardByEndpoint);
        splits.configure(settings.splits);
        if (!settings.historyDirectory.equals(historyDirectory)) {
            LOG.log(Level.INFO, "history.directory={0} of {1} applies from the next start (now {2})",
                    settings.historyDirectory, PID, registry.historyDirectory());
        }
        if (settings.cleanupIntervalMs != cleanupIntervalMs) {
            LOG.log(Level.INFO, "cleanup.interval.ms={0} of {1} applies from the next start (now {2})",
                    String.valueOf(settings.cleanupIntervalMs), PID, String.valueOf(cleanupIntervalMs));
        }
    }

    @Deactivate
    void deactivate() {
        services.close();
        registry.close();
    }

    /**
     * The settings of one configuration, each checked (see {@link Settings}): a value refused keeps
     * the one in force before.
     */
    private static final class Resolved {
        /** The checks beyond the metatype's (type, range, options). */
        private static final Map<String, Settings.Check> CHECKS = Map.of(
                "handlers.directory", Settings.directory(true),
                "copy.directory", Settings.directory(false),
                "history.directory", Settings.directory(false),
                "isolation.endpoints", value -> isolationByEndpointProblem((String) value),
                "splits", value -> SplitSettings.problem((String) value),
                "guard.max.failure.ratio", value -> GuardConfig.ratioProblem((String) value),
                "guard.endpoints", value -> GuardConfig.perEndpointProblem((String) value),
                "process.memory.limit.mb", value -> (Long) value > Long.MAX_VALUE >> 20
                        ? "it needs a whole number of at most " + (Long.MAX_VALUE >> 20) : null);

        final Path handlersDirectory;
        final String copyDirectory;
        final String historyDirectory;
        final int historySize;
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
        final Map<String, SplitSettings.Split> splits;
        final GuardSettings guard;
        final Map<String, GuardSettings> guardByEndpoint;

        private Resolved(Settings.Values values, ProcessIsolation processIsolationBefore) {
            handlersDirectory = Path.of(values.string("handlers.directory")).toAbsolutePath();
            copyDirectory = values.string("copy.directory");
            historyDirectory = values.string("history.directory");
            historySize = values.integer("history.size");
            drainTimeout = Duration.ofMillis(values.number("drain.timeout.ms"));
            stopTimeout = Duration.ofMillis(values.number("stop.timeout.ms"));
            cleanupIntervalMs = values.number("cleanup.interval.ms");
            initTimeoutMs = values.number("init.timeout.ms");
            uninstallReplaced = values.flag("uninstall.replaced");
            maxConcurrentCalls = values.integer("max.concurrent.calls");
            maxWaitingCalls = values.integer("max.waiting.calls");
            isolation = Isolation.parse(values.string("isolation"));
            isolationByEndpoint = isolationByEndpoint(values.string("isolation.endpoints"));
            processIsolation = processIsolation(values, processIsolationBefore);
            splits = SplitSettings.parse(values.string("splits"));
            guard = new GuardSettings(values.flag("guard.enabled"), Duration.ofSeconds(values.number("guard.window.s")),
                    GuardConfig.ratio(values.string("guard.max.failure.ratio")), values.number("guard.min.requests"),
                    Duration.ofSeconds(values.number("guard.promote.after.s")),
                    Duration.ofSeconds(values.number("guard.watch.s")));
            guardByEndpoint = GuardConfig.perEndpoint(values.string("guard.endpoints"), guard);
        }

        static Resolved of(Settings settings, Map<String, Object> properties, ProcessIsolation processIsolationBefore) {
            return new Resolved(settings.resolve(properties, CHECKS), processIsolationBefore);
        }

        /** "a=process, b=in-process" (checked before). */
        private static Map<String, Isolation> isolationByEndpoint(String text) {
            Map<String, Isolation> result = new java.util.HashMap<>();
            for (String entry : text.split(",")) {
                if (!entry.isBlank()) {
                    int equals = entry.indexOf('=');
                    result.put(entry.substring(0, equals).strip(), Isolation.parse(entry.substring(equals + 1)));
                }
            }
            return result;
        }

        private static String isolationByEndpointProblem(String text) {
            for (String entry : text.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                int equals = entry.indexOf('=');
                try {
                    HandlerRegistry.checkEndpointId(equals < 0 ? entry.strip() : entry.substring(0, equals).strip());
                    if (equals < 0) {
                        throw new IllegalArgumentException("no =mode after it");
                    }
                    Isolation.parse(entry.substring(equals + 1));
                } catch (RuntimeException e) {
                    return "'" + entry.strip() + "' is wrong (" + e.getMessage() + "); write endpoint=in-process"
                            + " or endpoint=process, separated by commas";
                }
            }
            return null;
        }

        /** The process isolation settings, each within its range: refused together when they do not fit. */
        private static ProcessIsolation processIsolation(Settings.Values values, ProcessIsolation before) {
            try {
                return new ProcessIsolation(
                        values.integer("process.workers"),
                        values.integer("process.concurrency"),
                        values.integer("process.slot.bytes"),
                        Duration.ofMillis(values.number("process.hang.grace.ms")),
                        values.integer("process.max.crashes"),
                        Duration.ofMillis(values.number("process.crash.window.ms")),
                        Duration.ofMillis(values.number("process.shutdown.timeout.ms")),
                        values.number("process.memory.limit.mb") << 20,
                        values.number("process.cpu.limit.s"));
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "{0}: process.slot.bytes={1} with process.concurrency={2} is refused ({3});"
                        + " the process isolation settings stay as they were", PID,
                        String.valueOf(values.integer("process.slot.bytes")),
                        String.valueOf(values.integer("process.concurrency")), e.getMessage());
                return before;
            }
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
    public <T> T execute(String endpointId, RequestContext context, HandlerRequest request,
            Consumer<? super LoadedHandler> taken, ResponseReader<T> reader) {
        return registry.execute(endpointId, context, request, taken, reader);
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
    public List<HistoryEntry> history(String endpointId) {
        return registry.history(endpointId);
    }

    @Override
    public SwapResult rollback(String endpointId) {
        return rollback(endpointId, null);
    }

    /**
     * A rollback; once it took effect, the handler bundles standing by for the endpoint are held back
     * (see {@link HandlerServices#rolledBack(String)}).
     */
    @Override
    public SwapResult rollback(String endpointId, String version) {
        return registry.rollback(endpointId, version, null, () -> services.rolledBack(endpointId));
    }

    @Override
    public SwapResult rollback(String endpointId, String version, Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        return registry.rollback(endpointId, version, drainTimeout, () -> services.rolledBack(endpointId));
    }

    @Override
    public CanarySplit split(String endpointId, Path library, double percent) {
        return registry.split(endpointId, library, percent);
    }

    @Override
    public CanarySplit split(String endpointId, String keptVersion, double percent) {
        return registry.split(endpointId, keptVersion, percent);
    }

    @Override
    public Optional<CanarySplit> split(String endpointId) {
        return registry.split(endpointId);
    }

    /**
     * A promotion; a canary from the history, once promoted, pins the endpoint as a rollback does: the handler
     * bundles standing by for it are held back then.
     */
    @Override
    public SwapResult promote(String endpointId) {
        return registry.promote(endpointId, null, () -> holdBackIfPinned(endpointId));
    }

    @Override
    public SwapResult promote(String endpointId, Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        return registry.promote(endpointId, drainTimeout, () -> holdBackIfPinned(endpointId));
    }

    private void holdBackIfPinned(String endpointId) {
        if (registry.isPinned(endpointId)) {
            services.rolledBack(endpointId);
        }
    }

    @Override
    public SwapResult abort(String endpointId) {
        return registry.abort(endpointId);
    }

    @Override
    public RegistryStats stats() {
        return registry.stats();
    }

    @Override
    public RegistryActivity activity() {
        return registry.activity();
    }

    @Override
    public int cleanupDrained() {
        return registry.cleanupDrained();
    }
}
