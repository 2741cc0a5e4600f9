package io.handlerregistry.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.engine.CallCount;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.engine.Provenance;
import io.handlerregistry.spi.Handler;

/**
 * Serves each endpoint with the best {@link Handler} service registered for it, and follows the
 * services as they come and go.
 *
 * <p>The best service of an endpoint has the highest {@code service.ranking}, then the highest
 * {@value Handler#VERSION} (OSGi version order; the providing bundle's version when the property is
 * missing), then the highest {@code service.id} (the newest). When a better one appears the
 * endpoint swaps to it at once and the replaced version drains; a replaced handler bundle (one with
 * a {@value BundleHandler#ENDPOINT_HEADER} header) is then uninstalled by {@link HandlerBundles}. When
 * the serving one goes away the endpoint falls back to the next best, or is unloaded.
 *
 * <p>A rollback ({@link io.handlerregistry.api.HandlerRegistry#rollback(String, String)}) pins its
 * endpoint: while the version it made serves, the services that were there when it took effect (held
 * back, by the identity of their bundle: location, version and library) do not serve, also when they
 * come again (a restart installs the same deploy folder files again); a service that was not there, such as
 * a new file in the deploy folder, ends the pin, and the best one serves again. Removing a service
 * changes nothing while the endpoint is pinned.
 *
 * <p>This is where a removal waits for the drain: {@link #removed} returns only once no registry
 * call is left on its way into the service that went away.
 */
final class HandlerServices implements AutoCloseable {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    // ranking, then version, highest first; then a deployed file before others, the first by name
    // (the same choice after a restart, whatever order the files came in); then the newest service
    private static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparingInt((Candidate c) -> c.ranking).reversed()
            .thenComparing(c -> c.version, Comparator.reverseOrder())
            .thenComparing(c -> c.deployedFile, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(c -> c.serviceId, Comparator.reverseOrder());

    private final NativeHandlerRegistry registry;
    private final HandlerBundles bundles;
    private final BooleanSupplier frameworkStopping;
    private volatile Duration drainWarning;
    private volatile boolean uninstallReplaced;
    // guarded by this; service events are rare and handled quickly (no native call in here)
    private final Map<String, List<Candidate>> candidates = new HashMap<>();
    private final Map<String, Candidate> serving = new HashMap<>();
    private boolean closed;

    HandlerServices(NativeHandlerRegistry registry, HandlerBundles bundles, Duration drainWarning,
            boolean uninstallReplaced, BooleanSupplier frameworkStopping) {
        this.registry = registry;
        this.frameworkStopping = frameworkStopping;
        this.bundles = bundles;
        configure(drainWarning, uninstallReplaced);
    }

    /** New settings, for the swaps to come. */
    void configure(Duration drainWarning, boolean uninstallReplaced) {
        this.drainWarning = drainWarning;
        this.uninstallReplaced = uninstallReplaced;
    }

    synchronized void added(ServiceReference<Handler> reference, Handler handler) {
        if (closed) {
            return;
        }
        Object endpoint = reference.getProperty(Handler.ENDPOINT);
        if (!(endpoint instanceof String)) {
            LOG.log(Level.WARNING, "ignoring Handler service {0} of bundle {1}: it has no String property {2}",
                    reference.getProperty(Constants.SERVICE_ID), reference.getBundle(), Handler.ENDPOINT);
            return;
        }
        try {
            HandlerRegistry.checkEndpointId((String) endpoint);
        } catch (HandlerException e) {
            LOG.log(Level.WARNING, "ignoring Handler service {0} of bundle {1}: {2}",
                    reference.getProperty(Constants.SERVICE_ID), reference.getBundle(), e.getMessage());
            return;
        }
        Candidate candidate = new Candidate((String) endpoint, reference, handler);
        List<Candidate> list = candidates.computeIfAbsent(candidate.endpoint, e -> new ArrayList<>());
        for (Candidate other : list) {
            if (other.ranking == candidate.ranking && other.version.equals(candidate.version)
                    && !other.sameSource(candidate)) {
                Candidate first = BEST_FIRST.compare(other, candidate) < 0 ? other : candidate;
                LOG.log(Level.WARNING, "endpoint ''{0}'': {1} and {2} both offer version {3} at ranking {4};"
                        + " {5} serves. Remove one, or give them different versions or rankings",
                        candidate.endpoint, other.origin(), candidate.origin(), candidate.version, candidate.ranking,
                        first.origin());
            }
        }
        list.add(candidate);
        if (registry.isPinned(candidate.endpoint)) {
            if (registry.heldBack(candidate.endpoint).contains(candidate.identity)) {
                LOG.log(Level.INFO, "endpoint ''{0}'': {1} stands by: a rollback pinned the endpoint to {2} (a new"
                        + " version for it ends the pin)", candidate.endpoint, candidate.origin(),
                        registry.handler(candidate.endpoint).map(LoadedHandler::source).orElse("its version"));
                return;
            }
            LOG.log(Level.INFO, "endpoint ''{0}'': {1} is new, which ends the pin of the rollback that served it",
                    candidate.endpoint, candidate.origin());
            serving.remove(candidate.endpoint);
        }
        serveBest(candidate.endpoint, false);
    }

    /**
     * A rollback took effect for the endpoint: the services there now are held back (see the class
     * comment), and none of them serves any more.
     */
    synchronized void rolledBack(String endpoint) {
        Set<String> standing = new TreeSet<>();
        for (Candidate c : candidates.getOrDefault(endpoint, List.of())) {
            standing.add(c.identity);
        }
        registry.holdBack(endpoint, standing);
        serving.remove(endpoint);
    }

    /**
     * Forgets a service that goes away. Returns once no registry call is left on its way into it
     * (bounded by the drain timeout), so that its owner, which unregistered it, can then wait for
     * the calls inside and release what it holds without failing a call that was already routed.
     */
    void removed(ServiceReference<Handler> reference) {
        Candidate gone;
        synchronized (this) {
            if (closed) {
                return;
            }
            Object endpoint = reference.getProperty(Handler.ENDPOINT);
            List<Candidate> list = candidates.get(endpoint);
            gone = list == null ? null
                    : list.stream().filter(c -> c.reference.equals(reference)).findFirst().orElse(null);
            if (gone == null) {
                return;
            }
            list.remove(gone);
            if (list.isEmpty()) {
                candidates.remove(endpoint);
            }
            if (serving.get(endpoint) == gone) {
                if (registry.isPinned(gone.endpoint)) {
                    serving.remove(gone.endpoint); // the rollback serves on
                } else {
                    serveBest(gone.endpoint, true);
                }
            }
        }
        if (gone.loaded != null) {
            awaitDrained(gone);
        }
    }

    private void awaitDrained(Candidate gone) {
        try {
            gone.loaded.whenDrained().toCompletableFuture().get(drainWarning.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, "endpoint ''{0}'': {1} went away with {2} still routed to it after {3} ms",
                    gone.endpoint, gone, CallCount.of(gone.loaded.activeRequests()), drainWarning.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    /** Swaps the endpoint to its best candidate if that is not the one serving. */
    private void serveBest(String endpoint, boolean currentWentAway) {
        List<Candidate> list = candidates.getOrDefault(endpoint, List.of());
        Candidate best = list.stream().min(BEST_FIRST).orElse(null);
        Candidate current = serving.get(endpoint);
        if (best == current && !currentWentAway) {
            return;
        }
        LoadedHandler replaced = current == null ? null : current.loaded;
        if (best == null) {
            serving.remove(endpoint);
            if (replaced != null && registry.handler(endpoint).orElse(null) == replaced) {
                // a framework that stops takes the handler bundles before or after the registry: either way,
                // the endpoint's history entry goes on when the same version serves after the next start
                boolean stopping = frameworkStopping.getAsBoolean();
                registry.unload(endpoint, stopping ? "the framework stopped" : "unloaded: " + current + " went away",
                        stopping);
                LOG.log(Level.INFO, "endpoint ''{0}'' is gone with {1}", endpoint, current);
            }
            return;
        }
        try {
            registry.swap(endpoint, best.handler, best.toString(), best.version.toString(), best.provenance());
        } catch (HandlerLoadException superseded) {
            // a swap or unload through the API, asked for meanwhile, took effect first: it stands
            LOG.log(Level.WARNING, "endpoint ''{0}'': {1} does not serve: {2}", endpoint, best,
                    superseded.getMessage());
            return;
        }
        best.loaded = registry.handler(endpoint).orElseThrow();
        serving.put(endpoint, best);
        Bundle provider = best.reference.getBundle();
        if (provider != null) {
            bundles.serves(provider, best.loaded);
        }
        LOG.log(Level.INFO, "endpoint ''{0}'' is served by {1}{2}", endpoint, best,
                current == null ? "" : currentWentAway ? " (" + current + " went away)" : ", replacing " + current);
        if (replaced != null && !currentWentAway) {
            uninstallReplaced(current, best);
        }
    }

    /**
     * A replaced handler bundle goes once drained (uninstalling it waits in {@link #removed}); one
     * from a deploy folder stays while its file is there, ready to serve again.
     */
    private void uninstallReplaced(Candidate replaced, Candidate by) {
        Bundle bundle = replaced.reference.getBundle();
        if (uninstallReplaced && bundle != null && !bundle.equals(by.reference.getBundle())
                && BundleHandler.isHandlerBundle(bundle) && !HandlerBundles.isDeployed(bundle)) {
            bundles.uninstall(bundle, "replaced by " + by + " for endpoint '" + replaced.endpoint + "'");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    /** One Handler service that can serve an endpoint. */
    private static final class Candidate {
        final String endpoint;
        final ServiceReference<Handler> reference;
        final Handler handler;
        final int ranking;
        final Version version;
        final long serviceId;
        final String description; // kept: the reference forgets its bundle once unregistered
        final String symbolicName;
        final String deployedFile; // the file a deploy folder installed its bundle from, or null
        final String identity; // what a rollback holds back: the same bundle content, also after a restart
        LoadedHandler loaded; // set while it serves

        Candidate(String endpoint, ServiceReference<Handler> reference, Handler handler) {
            this.endpoint = endpoint;
            this.reference = reference;
            this.handler = handler;
            Object ranking = reference.getProperty(Constants.SERVICE_RANKING);
            this.ranking = ranking instanceof Integer ? (Integer) ranking : 0;
            this.version = version(reference);
            this.serviceId = (Long) reference.getProperty(Constants.SERVICE_ID);
            Bundle bundle = reference.getBundle();
            this.symbolicName = bundle == null ? "" : String.valueOf(bundle.getSymbolicName());
            this.deployedFile = bundle == null ? null
                    : HandlerBundles.deployedFile(bundle).map(Path::toString).orElse(null);
            this.description = (bundle == null ? "service" : "bundle " + HandlerBundles.describe(bundle))
                    + " (service " + serviceId + ")";
            this.identity = (bundle == null ? "service " + serviceId : bundle.getLocation() + " " + bundle.getVersion())
                    + (handler instanceof BundleHandler ? " " + ((BundleHandler) handler).sha256() : "");
        }

        /** For the endpoint's history: the deploy file or bundle, and its library (none for a Java handler). */
        Provenance provenance() {
            String origin = deployedFile != null
                    ? Path.of(deployedFile).getParent().getFileName() + "/" + Path.of(deployedFile).getFileName()
                            + ": " + symbolicName + " " + version
                    : "bundle " + symbolicName + " " + version;
            if (handler instanceof BundleHandler) {
                BundleHandler native_ = (BundleHandler) handler;
                Path library = native_.libraryFile().orElse(null);
                return Provenance.ofBundle(deployedFile != null, origin, version.toString(), library,
                        library == null ? null : native_.sha256(), native_.isolation());
            }
            return Provenance.ofBundle(deployedFile != null, origin, version.toString(), null, null,
                    Isolation.IN_PROCESS);
        }

        /** The same bundle name from the same file (or both from none): a redeploy, not a duplicate. */
        boolean sameSource(Candidate other) {
            return symbolicName.equals(other.symbolicName) && Objects.equals(deployedFile, other.deployedFile);
        }

        /** For messages: the file, else the bundle. */
        String origin() {
            return deployedFile != null ? deployedFile + " (" + description + ")" : description;
        }

        private static Version version(ServiceReference<Handler> reference) {
            Object value = reference.getProperty(Handler.VERSION);
            try {
                if (value != null) {
                    return Version.parseVersion(value.toString());
                }
            } catch (IllegalArgumentException e) {
                // not an OSGi version: fall back to the bundle's
            }
            Bundle bundle = reference.getBundle();
            return bundle == null ? Version.emptyVersion : bundle.getVersion();
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
