package io.handlerregistry.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import com.sun.jna.Platform;

import io.handlerregistry.core.Handler;
import io.handlerregistry.core.HandlerException;
import io.handlerregistry.core.HandlerRegistry;
import io.handlerregistry.core.HandlerRequest;
import io.handlerregistry.core.HandlerResponse;
import io.handlerregistry.core.RequestContext;
import io.handlerregistry.core.bundle.NativeHandlerActivator;

/**
 * The running part of a handler bundle (see {@link NativeHandlerActivator}): its loaded library,
 * registered as a {@link Handler} service, with its own count of calls inside so that a stop
 * never unloads code a thread is running, whoever made the call.
 */
public final class BundleHandler implements Handler {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    private static final long DEFAULT_STOP_TIMEOUT_MS = 30_000;

    private final String endpointId;
    private final String bundleName;
    private final NativeHandler library;
    private final RequestTracker tracker = new RequestTracker();
    private final long stopTimeoutMillis;
    private volatile ServiceRegistration<Handler> registration;

    private BundleHandler(String endpointId, String bundleName, NativeHandler library, long stopTimeoutMillis) {
        this.endpointId = endpointId;
        this.bundleName = bundleName;
        this.library = library;
        this.stopTimeoutMillis = stopTimeoutMillis;
    }

    /** Extracts, loads and registers the bundle's library; a BundleException says why not. */
    public static BundleHandler start(BundleContext context) throws BundleException {
        Bundle bundle = context.getBundle();
        String name = "handler bundle " + describe(bundle);
        String endpointId = bundle.getHeaders().get(NativeHandlerActivator.ENDPOINT_HEADER);
        if (endpointId == null || endpointId.isBlank()) {
            throw new BundleException(name + " has no " + NativeHandlerActivator.ENDPOINT_HEADER
                    + " header: add one naming the endpoint id it serves", BundleException.MANIFEST_ERROR);
        }
        endpointId = endpointId.strip();
        String template = bundle.getHeaders().get(NativeHandlerActivator.LIBRARY_HEADER);
        if (template == null) {
            template = NativeHandlerActivator.DEFAULT_LIBRARY_PATH;
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
            Path file = extract(context, entry, entryPath);
            String source = bundle.getLocation() + "!/" + entryPath;
            NativeHandler library = NativeHandler.open(endpointId, file, source,
                    LibraryCopy.adopt(endpointId, file));
            BundleHandler handler = new BundleHandler(endpointId, name, library,
                    FrameworkProperties.millis(context, NativeHandlerActivator.STOP_TIMEOUT_PROPERTY,
                            DEFAULT_STOP_TIMEOUT_MS));
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put(Handler.ENDPOINT, endpointId);
            properties.put(Handler.VERSION, bundle.getVersion().toString());
            properties.put(Constants.SERVICE_RANKING, ranking);
            properties.put("handler.library", entryPath);
            try {
                handler.registration = context.registerService(Handler.class, handler, properties);
            } catch (RuntimeException e) {
                library.close();
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
        int slot = tracker.tryAcquire();
        if (slot < 0) {
            throw new HandlerException(endpointId, "endpoint '" + endpointId + "': " + bundleName
                    + " is stopping and takes no new calls; call the endpoint through the registry");
        }
        try {
            return library.handle(context, request);
        } finally {
            tracker.release(slot);
        }
    }

    /** Unregisters the service, waits (bounded) for the calls inside, unloads the library. */
    public void stop() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregistered it already
        }
        tracker.startDraining();
        try {
            tracker.drained().get(stopTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.ERROR, "{0} stopped while {1} calls were still inside the library of endpoint ''{2}''"
                    + " after {3} ms; it stays loaded until they return (raise {4} to wait longer)",
                    bundleName, tracker.inFlight(), endpointId, stopTimeoutMillis,
                    NativeHandlerActivator.STOP_TIMEOUT_PROPERTY);
            tracker.drained().thenRun(this::unload);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tracker.drained().thenRun(this::unload);
            return;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
        unload();
    }

    private void unload() {
        try {
            library.close();
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
            throw new BundleException("handler bundle " + describe(context.getBundle()) + ": cannot extract "
                    + entryPath + " to " + directory + ": " + e, BundleException.ACTIVATOR_ERROR, e);
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
        String value = bundle.getHeaders().get(NativeHandlerActivator.RANKING_HEADER);
        try {
            return value == null ? 0 : Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new BundleException(name + ": " + NativeHandlerActivator.RANKING_HEADER + " must be an integer,"
                    + " not '" + value + "'", BundleException.MANIFEST_ERROR, e);
        }
    }

    /** How logs and messages name a bundle: symbolic name, version and id. */
    static String describe(Bundle bundle) {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
    }

    @Override
    public String toString() {
        return bundleName + " serving endpoint '" + endpointId + "'";
    }
}
