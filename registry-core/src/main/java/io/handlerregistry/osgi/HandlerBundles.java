package io.handlerregistry.osgi;

import java.io.ByteArrayInputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.hooks.bundle.CollisionHook;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.engine.DaemonThreads;

/**
 * The one place that installs and uninstalls handler bundles, and that knows what became of each:
 * deploy folders install through it, and both a deploy folder (a deleted file) and the registry (a
 * replaced bundle) uninstall through it.
 *
 * <ul>
 * <li>A deployed file is installed under the location {@code handler-deploy:<file>#<content hash>}:
 * the same file with the same content is the same bundle (a restart, or a deploy folder that comes
 * back, finds it installed), a changed file a new bundle beside the old one, and the bundles a folder
 * installed before are found again from their locations (see {@link #deployedFilesIn(Path)}).</li>
 * <li>Its own installs may repeat a symbolic name and version that is installed already (a collision
 * hook allows it for them only): redeploying an unchanged version needs no framework setting.</li>
 * <li>An uninstall runs on a thread of its own and waits there: stopping a handler bundle
 * unregisters its service, the registry drains the calls routed to it, the bundle waits for the calls
 * inside its library (see {@link BundleHandler}). Nobody who asks waits, and one slow call delays
 * only its own bundle. Asking twice for one bundle uninstalls it once.</li>
 * </ul>
 *
 * <p>A component of the registry bundle for its own components; its service type is not exported.
 */
@Component(service = HandlerBundles.class)
public final class HandlerBundles {
    /** The location prefix of the bundles deploy folders install. */
    static final String DEPLOY_LOCATION = "handler-deploy:";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final BundleContext context;
    private final ExecutorService uninstaller =
            Executors.newCachedThreadPool(DaemonThreads.named("handler-registry-uninstall"));
    private final Map<Long, CompletableFuture<Void>> uninstalling = new ConcurrentHashMap<>();
    // the version the registry made of each bundle's Handler service, once it served
    private final Map<Long, LoadedHandler> versions = new ConcurrentHashMap<>();
    private final ServiceRegistration<CollisionHook> collisionHook;
    // what is known of a bundle goes with it, whoever uninstalled it: nothing here grows with replaces
    private final BundleListener forgetUninstalled = event -> {
        if (event.getType() == BundleEvent.UNINSTALLED) {
            versions.remove(event.getBundle().getBundleId());
        }
    };

    @Activate
    public HandlerBundles(BundleContext context) {
        this.context = context;
        Bundle self = context.getBundle();
        this.collisionHook = context.registerService(CollisionHook.class, (operation, target, candidates) -> {
            if (operation == CollisionHook.INSTALLING && self.equals(target)) {
                candidates.clear(); // a redeploy of the same version: installed beside, the older one goes
            }
        }, null);
        context.addBundleListener(forgetUninstalled);
        uninstallThoseDeletedMeanwhile();
    }

    /**
     * Bundle caches survive restarts (Equinox and Karaf keep theirs): the bundles of deployed files
     * deleted while the framework was down go now. A file whose folder is gone stays (an unmounted
     * folder is not a deletion); its folder decides when it is back.
     */
    private void uninstallThoseDeletedMeanwhile() {
        for (Bundle bundle : context.getBundles()) {
            deployedFile(bundle).filter(file -> !Files.exists(file) && Files.isDirectory(file.getParent()))
                    .ifPresent(file -> uninstall(bundle, "its file " + file + " was deleted while the framework"
                            + " was down"));
        }
    }

    @Deactivate
    void deactivate() {
        context.removeBundleListener(forgetUninstalled);
        collisionHook.unregister();
        uninstaller.shutdown(); // uninstalls already asked for still run
    }

    /** What a handler bundle is doing for the registry. */
    public enum Role {
        /** Its handler serves its endpoint. */
        SERVING,
        /** Started, its handler is ready, another one serves the endpoint. */
        STANDBY,
        /** Going away: no new calls; the calls inside return first. */
        DRAINING,
        /** Not started (installed, resolved or stopped). */
        STOPPED,
        /** Gone. */
        UNINSTALLED
    }

    /**
     * Installs the content of a deployed file beside whatever else is installed, and starts it. The
     * same file with the same content is the bundle installed for it before (started again if needed).
     * A bundle installed here that fails to start is uninstalled at once (it never served).
     *
     * @throws BundleException       why it could not be installed or started
     * @throws IllegalStateException when the framework or the registry bundle is stopping
     */
    public Bundle installAndStart(Path file, byte[] content) throws BundleException {
        String location = location(file, content);
        Bundle installed = context.getBundle(location);
        Bundle bundle = installed != null ? installed
                : context.installBundle(location, new ByteArrayInputStream(content));
        try {
            bundle.start();
            return bundle;
        } catch (BundleException | RuntimeException e) {
            if (installed == null) {
                uninstallNow(bundle, "it did not start");
            }
            throw e;
        }
    }

    /**
     * The bundles installed from a deployed file (one, or more while an older content drains), and the
     * handler bundle FileInstall installed itself from it, if any: a folder's rules replace that one too.
     */
    public List<Bundle> deployedFrom(Path file) {
        Path absolute = file.toAbsolutePath();
        List<Bundle> result = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            if (fileInstalled(bundle).filter(absolute::equals).isPresent()) {
                result.add(0, bundle); // the oldest: installed before the registry deployed the file
            } else if (deployedFile(bundle).filter(absolute::equals).isPresent()) {
                result.add(bundle);
            }
        }
        return result;
    }

    /**
     * The file of a handler bundle that FileInstall installed itself (location {@code file:...}, its file
     * there before the registry ran), if the bundle is one.
     */
    public static Optional<Path> fileInstalled(Bundle bundle) {
        String location = bundle.getLocation();
        if (!location.startsWith("file:") || !location.endsWith(".jar") || bundle.getState() == Bundle.UNINSTALLED
                || bundle.getHeaders("").get(BundleHandler.ENDPOINT_HEADER) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(java.net.URI.create(location)).toAbsolutePath());
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException notAFilePath) {
            return Optional.empty();
        }
    }

    /** The files under {@code directory} that bundles were deployed from. */
    public Set<Path> deployedFilesIn(Path directory) {
        Path absolute = directory.toAbsolutePath();
        Set<Path> result = new TreeSet<>();
        for (Bundle bundle : context.getBundles()) {
            deployedFile(bundle).filter(f -> absolute.equals(f.getParent())).ifPresent(result::add);
        }
        return result;
    }

    /** The file a bundle was deployed from, if a deploy folder installed it. */
    public static Optional<Path> deployedFile(Bundle bundle) {
        String location = bundle.getLocation();
        int hash = location.lastIndexOf('#');
        if (!location.startsWith(DEPLOY_LOCATION) || hash < 0) {
            return Optional.empty();
        }
        return Optional.of(Path.of(location.substring(DEPLOY_LOCATION.length(), hash)));
    }

    /** True if a deploy folder installed the bundle: it goes when its file goes, not when replaced. */
    public static boolean isDeployed(Bundle bundle) {
        return bundle.getLocation().startsWith(DEPLOY_LOCATION);
    }

    /**
     * Uninstalls a bundle on a thread of its own, once the calls routed to it and the calls inside
     * its library returned.
     *
     * @param why for the log, e.g. "replaced by ..."
     * @return completes once the bundle is uninstalled (or could not be)
     */
    public CompletableFuture<Void> uninstall(Bundle bundle, String why) {
        CompletableFuture<Void> started = new CompletableFuture<>();
        CompletableFuture<Void> running = uninstalling.putIfAbsent(bundle.getBundleId(), started);
        if (running != null) {
            return running;
        }
        try {
            uninstaller.execute(() -> {
                try {
                    uninstallNow(bundle, why);
                } finally {
                    uninstalling.remove(bundle.getBundleId());
                    started.complete(null);
                }
            });
        } catch (RejectedExecutionException registryStopping) {
            uninstalling.remove(bundle.getBundleId());
            started.complete(null);
        }
        return started;
    }

    /** Remembers the version the registry made of a bundle's handler (see {@link #role}). */
    void serves(Bundle bundle, LoadedHandler version) {
        versions.put(bundle.getBundleId(), version);
        if (bundle.getState() == Bundle.UNINSTALLED) {
            versions.remove(bundle.getBundleId()); // it went meanwhile: the listener came first
        }
    }

    /** What the bundle is doing now. */
    public Role role(Bundle bundle) {
        long id = bundle.getBundleId();
        switch (bundle.getState()) {
            case Bundle.UNINSTALLED:
                return Role.UNINSTALLED;
            case Bundle.STOPPING:
                return Role.DRAINING;
            case Bundle.ACTIVE:
                if (uninstalling.containsKey(id)) {
                    return Role.DRAINING;
                }
                LoadedHandler version = versions.get(id);
                return version != null && version.state() == HandlerState.ACTIVE ? Role.SERVING : Role.STANDBY;
            default:
                return uninstalling.containsKey(id) ? Role.DRAINING : Role.STOPPED;
        }
    }

    /** The calls still inside the version the registry made of the bundle's handler. */
    public long callsInside(Bundle bundle) {
        LoadedHandler version = versions.get(bundle.getBundleId());
        return version == null ? 0 : version.activeRequests();
    }

    /** The endpoint a handler bundle serves, from its manifest. */
    public static Optional<String> endpoint(Bundle bundle) {
        String endpoint = bundle.getHeaders().get(BundleHandler.ENDPOINT_HEADER);
        return endpoint == null || endpoint.isBlank() ? Optional.empty() : Optional.of(endpoint.strip());
    }

    private static void uninstallNow(Bundle bundle, String why) {
        String name = describe(bundle);
        try {
            if (bundle.getState() != Bundle.UNINSTALLED) {
                bundle.uninstall();
                LOG.log(Level.INFO, "uninstalled {0}: {1}", name, why);
            }
        } catch (IllegalStateException alreadyUninstalled) {
            // someone else (an operator, the framework) was quicker
        } catch (BundleException e) {
            LOG.log(Level.WARNING, "cannot uninstall {0} ({1}): {2}", name, why, e.getMessage());
        }
    }

    private static String location(Path file, byte[] content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
            return DEPLOY_LOCATION + file.toAbsolutePath() + "#" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** How logs and messages name a bundle: symbolic name, version and id. */
    public static String describe(Bundle bundle) {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
    }
}
