package io.handlerregistry.osgi;

import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.engine.DaemonThreads;

/**
 * The one place that installs and uninstalls handler bundles: the deploy folder installs through
 * it, and both the deploy folder (a deleted file) and the registry (a replaced bundle) uninstall
 * through it. An uninstall runs on a thread of its own and waits there: stopping a handler bundle
 * unregisters its service, the registry drains the calls routed to it, the bundle then waits for the
 * calls inside its library (see {@link BundleHandler}). So nobody who asks for an uninstall waits,
 * and one slow call delays only its own bundle. Asking twice for the same bundle uninstalls it once.
 *
 * <p>A component of the registry bundle for its own components; its service type is not exported.
 */
@Component(service = HandlerBundles.class)
public final class HandlerBundles {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final BundleContext context;
    private final ExecutorService uninstaller =
            Executors.newCachedThreadPool(DaemonThreads.named("handler-registry-uninstall"));
    private final Set<Long> uninstalling = ConcurrentHashMap.newKeySet();

    @Activate
    public HandlerBundles(BundleContext context) {
        this.context = context;
    }

    @Deactivate
    void deactivate() {
        uninstaller.shutdown(); // uninstalls already asked for still run
    }

    /**
     * Installs a bundle from a stream and starts it; a bundle that fails to start is uninstalled
     * again at once (it never served).
     *
     * @throws BundleException       why it could not be installed or started
     * @throws IllegalStateException when the framework or the registry bundle is stopping
     */
    public Bundle installAndStart(String location, InputStream content) throws BundleException {
        Bundle bundle = context.installBundle(location, content);
        try {
            bundle.start();
            return bundle;
        } catch (BundleException | RuntimeException e) {
            uninstallNow(bundle, "it did not start");
            throw e;
        }
    }

    /**
     * Uninstalls a bundle on a thread of its own, once the calls routed to it and the calls inside
     * its library returned.
     *
     * @param why for the log, e.g. "replaced by ..."
     * @return completes once the bundle is uninstalled (or could not be)
     */
    public CompletableFuture<Void> uninstall(Bundle bundle, String why) {
        if (!uninstalling.add(bundle.getBundleId())) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return CompletableFuture.runAsync(() -> {
                try {
                    uninstallNow(bundle, why);
                } finally {
                    uninstalling.remove(bundle.getBundleId());
                }
            }, uninstaller);
        } catch (RejectedExecutionException registryStopping) {
            uninstalling.remove(bundle.getBundleId());
            return CompletableFuture.completedFuture(null);
        }
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

    /** How logs and messages name a bundle: symbolic name, version and id. */
    public static String describe(Bundle bundle) {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
    }
}
