package io.handlerregistry.osgi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import com.sun.jna.Platform;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.ResponseReader;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.WorkerStatus;
import io.handlerregistry.engine.CallCount;
import io.handlerregistry.engine.HandlerVersion;
import io.handlerregistry.engine.IsolationInfo;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.engine.ProcessIsolation;
import io.handlerregistry.engine.ResponseViews;
import io.handlerregistry.spi.Handler;

/**
 * The running part of a handler bundle (see {@code io.handlerregistry.bundle.NativeHandlerActivator}):
 * its loaded library, registered as a {@link Handler} service. The library is a
 * {@link HandlerVersion} of its own, which counts every call inside whoever made it, so that a stop
 * never unloads code a thread is running.
 */
public final class BundleHandler implements ResponseViews, IsolationInfo {
    /** Manifest header naming the endpoint id the bundle serves. */
    public static final String ENDPOINT_HEADER = "Handler-Endpoint";
    /** Manifest header with the library's path in the bundle; may use {platform} and {library}. */
    public static final String LIBRARY_HEADER = "Handler-Library";
    /** Manifest header with the service ranking of the handler. */
    public static final String RANKING_HEADER = "Handler-Ranking";
    /** Manifest header saying where the library runs: {@code in-process} (the default) or {@code process}. */
    public static final String ISOLATION_HEADER = "Handler-Isolation";
    /** Where the library is looked for when the bundle has no {@value #LIBRARY_HEADER} header. */
    public static final String DEFAULT_LIBRARY_PATH = "native/{platform}/{library}";

    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    // set from the registry's configuration (stop.timeout.ms): handler bundles have no configuration
    // of their own, and start before or after the registry component
    private static volatile Duration stopTimeout = Duration.ofSeconds(30);
    // the registry's isolation settings (per-endpoint overrides, process isolation); null until it started
    private static volatile NativeHandlerRegistry registry;
    private static volatile Duration initTimeout = Duration.ofSeconds(30);

    private final String endpointId;
    private final String bundleName;
    private final HandlerVersion library;
    private final String sha256;
    private volatile ServiceRegistration<Handler> registration;

    private BundleHandler(String endpointId, String bundleName, HandlerVersion library, String sha256) {
        this.endpointId = endpointId;
        this.bundleName = bundleName;
        this.library = library;
        this.sha256 = sha256;
    }

    /** The library file this bundle loaded (extracted into its data area), for the registry's history. */
    Optional<Path> libraryFile() {
        return library.loadedCopy();
    }

    /** The SHA-256 of that library, lower-case hex. */
    String sha256() {
        return sha256;
    }

    /**
     * The registry's settings for handler bundles: how long a stop waits for the calls inside a
     * library, where libraries run (an endpoint's configured isolation beats the manifest), the
     * settings of process isolation and of handler_init.
     */
    static void configure(Duration timeout, NativeHandlerRegistry settings, Duration init) {
        stopTimeout = timeout;
        registry = settings;
        initTimeout = init;
    }

    /** Where a bundle's library runs: the endpoint's configured isolation, else the manifest's, else the default. */
    private static Isolation isolation(Bundle bundle, String name, String endpointId) throws BundleException {
        NativeHandlerRegistry settings = registry;
        Optional<Isolation> configured = settings == null ? Optional.empty() : settings.configuredIsolation(endpointId);
        if (configured.isPresent()) {
            return configured.get();
        }
        String header = bundle.getHeaders().get(ISOLATION_HEADER);
        if (header == null || header.isBlank()) {
            return settings == null ? Isolation.IN_PROCESS : settings.isolationOf(endpointId);
        }
        try {
            return Isolation.parse(header);
        } catch (IllegalArgumentException e) {
            throw new BundleException(name + ": " + ISOLATION_HEADER + " " + e.getMessage(),
                    BundleException.MANIFEST_ERROR, e);
        }
    }

    /** True if the bundle is a handler bundle: it names the endpoint it serves. */
    static boolean isHandlerBundle(Bundle bundle) {
        return bundle.getHeaders().get(ENDPOINT_HEADER) != null;
    }

    /** Extracts, loads and registers the bundle's library; a BundleException says why not. */
    public static BundleHandler start(BundleContext context) throws BundleException {
        Bundle bundle = context.getBundle();
        String name = "handler bundle " + HandlerBundles.describe(bundle);
        String endpointId = bundle.getHeaders().get(ENDPOINT_HEADER);
        if (endpointId == null || endpointId.isBlank()) {
            throw new BundleException(name + " has no " + ENDPOINT_HEADER
                    + " header: add one naming the endpoint id it serves", BundleException.MANIFEST_ERROR);
        }
        endpointId = endpointId.strip();
        try {
            return load(context, bundle, name, endpointId);
        } catch (BundleException e) {
            // handler_swaps_total shows the version refused, as it shows a refused swap through the API
            NativeHandlerRegistry counting = registry;
            if (counting != null) {
                counting.countRefused(endpointId);
            }
            throw e;
        }
    }

    private static BundleHandler load(BundleContext context, Bundle bundle, String name, String endpointId)
            throws BundleException {
        String template = bundle.getHeaders().get(LIBRARY_HEADER);
        if (template == null) {
            template = DEFAULT_LIBRARY_PATH;
        }
        int ranking = ranking(bundle, name);
        try {
            String entryPath = template.strip().replace("{platform}", Platform.RESOURCE_PREFIX)
                    .replace("{library}", HandlerRegistry.libraryFileName(endpointId));
            URL entry = bundle.getEntry(entryPath);
            if (entry == null) {
                throw new BundleException(name + " (endpoint '" + endpointId + "') has no native library for this"
                        + " platform, " + Platform.RESOURCE_PREFIX + ": looked for " + entryPath + platforms(bundle)
                        + "; build the library for " + Platform.RESOURCE_PREFIX + " and add it at that path",
                        BundleException.NATIVECODE_ERROR);
            }
            Isolation isolation = isolation(bundle, name, endpointId);
            Path file = extract(context, entry, entryPath);
            String sha256 = io.handlerregistry.engine.Provenance.sha256(file);
            NativeHandlerRegistry settings = registry;
            HandlerVersion library = HandlerVersion.adoptLibrary(endpointId, file,
                    bundle.getLocation() + "!/" + entryPath, isolation,
                    settings == null ? ProcessIsolation.DEFAULTS : settings.processIsolation(), initTimeout);
            BundleHandler handler = new BundleHandler(endpointId, name, library, sha256);
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put(Handler.ENDPOINT, endpointId);
            properties.put(Handler.VERSION, bundle.getVersion().toString());
            properties.put(Constants.SERVICE_RANKING, ranking);
            properties.put("handler.library", entryPath);
            properties.put("handler.isolation", isolation.label());
            try {
                handler.registration = context.registerService(Handler.class, handler, properties);
            } catch (RuntimeException e) {
                library.startDraining();
                library.unloadIfDrained();
                throw e;
            }
            return handler;
        } catch (HandlerException e) {
            throw new BundleException(name + " cannot serve endpoint '" + endpointId + "': " + e.getMessage(),
                    BundleException.ACTIVATOR_ERROR, e);
        }
    }

    @Override
    public HandlerResponse handle(RequestContext context, HandlerRequest request) {
        HandlerResponse response = library.callIfActive(context, request);
        if (response == null) {
            throw stopping();
        }
        return response;
    }

    /** Hands the response to {@code reader} as its library does: in process, the body where it lies. */
    @Override
    @SuppressWarnings("unchecked") // readIfActive returns what the reader returned
    public <T> T read(RequestContext context, HandlerRequest request, ResponseReader<T> reader) {
        Object result = library.readIfActive(context, request, reader);
        if (result == HandlerVersion.NOT_ACTIVE) {
            throw stopping();
        }
        return (T) result;
    }

    private HandlerException stopping() {
        return new HandlerException(endpointId, "endpoint '" + endpointId + "': " + bundleName
                + " is stopping and takes no new calls; call the endpoint through the registry");
    }

    /**
     * Unregisters the service (the registry then drains the calls it routed here before this goes
     * on), waits up to the stop timeout for the calls inside the library, and unloads it once the
     * last of them returned.
     */
    public void stop() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregistered it already
        }
        library.startDraining();
        library.drained().thenRun(this::unload);
        Duration timeout = stopTimeout;
        try {
            library.drained().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String inside = CallCount.of(library.activeRequests());
            if (library.killWorkers(bundleName + " stopped with " + inside + " inside")) {
                LOG.log(Level.WARNING, "{0} stopped with {1} still inside the library of endpoint"
                        + " ''{2}'' after {3} ms: its worker processes are killed, those calls fail (raise"
                        + " stop.timeout.ms of {4} to wait longer)", bundleName, inside, endpointId,
                        timeout.toMillis(), RegistryComponent.PID);
                return;
            }
            LOG.log(Level.WARNING, "{0} stopped with {1} still inside the library of endpoint ''{2}''"
                    + " after {3} ms; it stays loaded until drained (raise stop.timeout.ms of {4} to wait"
                    + " longer)", bundleName, inside, endpointId, timeout.toMillis(), RegistryComponent.PID);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    private void unload() {
        try {
            library.unloadIfDrained();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "unloading the library of endpoint '" + endpointId + "' of " + bundleName
                    + " failed", e);
        }
    }

    private static Path extract(BundleContext context, URL entry, String entryPath) throws BundleException {
        Path directory = context.getDataFile("native").toPath();
        try {
            Files.createDirectories(directory);
            Path file = Files.createTempFile(directory, "v", "-" + Path.of(entryPath).getFileName());
            try (InputStream in = entry.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException e) {
            throw new BundleException("handler bundle " + HandlerBundles.describe(context.getBundle())
                    + ": cannot extract " + entryPath + " to " + directory + ": " + e,
                    BundleException.ACTIVATOR_ERROR, e);
        }
    }

    private static String platforms(Bundle bundle) {
        Enumeration<String> folders = bundle.getEntryPaths("native/");
        if (folders == null) {
            return " (it has no native/ folder)";
        }
        List<String> found = new ArrayList<>();
        for (String folder : Collections.list(folders)) {
            found.add(folder.substring("native/".length()).replace("/", ""));
        }
        Collections.sort(found);
        return " (it has native/ folders for: " + String.join(", ", found) + ")";
    }

    private static int ranking(Bundle bundle, String name) throws BundleException {
        String value = bundle.getHeaders().get(RANKING_HEADER);
        try {
            return value == null ? 0 : Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new BundleException(name + ": " + RANKING_HEADER + " must be an integer, not '" + value + "'",
                    BundleException.MANIFEST_ERROR, e);
        }
    }

    @Override
    public Isolation isolation() {
        return library.isolation();
    }

    @Override
    public boolean killWorkers(String because) {
        return library.killWorkers(because);
    }

    @Override
    public Optional<WorkerStatus> workers() {
        return library.workers();
    }

    @Override
    public String toString() {
        return bundleName + " serving endpoint '" + endpointId + "'";
    }
}
