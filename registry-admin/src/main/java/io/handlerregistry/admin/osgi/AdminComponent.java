package io.handlerregistry.admin.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.admin.api.AdminFront;
import io.handlerregistry.admin.server.AdminServer;
import io.handlerregistry.admin.server.AdminSettings;
import io.handlerregistry.admin.server.HttpFrontNumbers;
import io.handlerregistry.admin.server.HttpNumbers;
import io.handlerregistry.admin.server.Sources;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;

/**
 * The admin front as a DS component: serves {@code /metrics}, {@code /livez}, {@code /readyz} and
 * {@code /status} on its own port (PID {@value AdminSettings#PID}) for as long as its bundle runs, also
 * while the registry is not active (then not live), so that probes get an answer rather than a refused
 * connection. Readiness turns false at the very start of a stop of the framework (the system bundle's
 * STOPPING event), and as soon as the HTTP front's service goes (before the front drains), so that a load
 * balancer stops sending before anything stops serving. Where Felix Health Checks run, the checks are
 * {@code HealthCheck} services too.
 */
@Component(service = AdminFront.class, configurationPid = AdminSettings.PID, immediate = true)
@Designate(ocd = AdminConfiguration.class)
public final class AdminComponent implements AdminFront, Sources {
    private static final Logger LOG = System.getLogger("io.handlerregistry.admin");
    private static final String HTTP_FRONT = "io.handlerregistry.http.api.HttpFront";
    private static final String HTTP_BUNDLE = "io.handlerregistry.http";
    private static final String DEPLOY_PID = "io.handlerregistry.deploy";

    private final BundleContext context;
    private final AdminSettings base;
    private final AdminServer server;
    private final SynchronousBundleListener stopWatch;
    private final ServiceTracker<Object, HttpNumbers> httpTracker;
    private final AutoCloseable healthChecks;
    private AdminSettings settings; // guarded by this
    private volatile boolean stopping;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile HandlerRegistry registry;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<ServiceReference<DeployFolder>> deployFolders;

    @Activate
    public AdminComponent(BundleContext context, Map<String, Object> properties) throws Exception {
        this.context = context;
        this.base = AdminSettings.DEFAULTS.with(frameworkProperties(context), AdminSettings.DEFAULTS,
                AdminComponent::warn);
        this.settings = base.with(properties, base, AdminComponent::warn);
        this.stopWatch = event -> {
            if (event.getBundle().getBundleId() == 0 && event.getType() == BundleEvent.STOPPING && !stopping) {
                stopping = true;
                LOG.log(Level.INFO, "admin front: the container is stopping: /readyz answers 503 from now on");
            }
        };
        context.addBundleListener(stopWatch);
        Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        if (system != null && system.getState() == Bundle.STOPPING) {
            stopping = true;
        }
        this.httpTracker = new ServiceTracker<>(context, context.createFilter("(objectClass=" + HTTP_FRONT + ")"),
                null) {
            @Override
            public HttpNumbers addingService(ServiceReference<Object> reference) {
                if (!reference.isAssignableTo(context.getBundle(), HTTP_FRONT)) {
                    warn("the HTTP front runs, but bundle io.handlerregistry.admin was resolved without its API: its"
                            + " numbers are missing from /metrics until it is refreshed");
                    return null;
                }
                Object front = context.getService(reference);
                return front == null ? null : new HttpFrontNumbers(front);
            }

            @Override
            public void removedService(ServiceReference<Object> reference, HttpNumbers numbers) {
                context.ungetService(reference);
            }
        };
        httpTracker.open(true);
        this.server = new AdminServer(this, settings, AdminComponent::warn);
        server.start();
        this.healthChecks = felixHealthChecks(context);
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        settings = base.with(properties, settings, AdminComponent::warn);
        server.reconfigure(settings);
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        context.removeBundleListener(stopWatch);
        try {
            healthChecks.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "admin front: removing the health checks failed", e);
        }
        server.stop();
        httpTracker.close();
    }

    /** The checks as Felix Health Checks services where its API is wired (an optional import), else nothing. */
    private AutoCloseable felixHealthChecks(BundleContext context) {
        try {
            Class.forName("org.apache.felix.hc.api.HealthCheck", false, AdminComponent.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return () -> {
            };
        }
        LOG.log(Level.DEBUG, "admin front: the checks are Felix Health Checks too (tag handlerregistry)");
        return new FelixHealthChecks(context, server::health);
    }

    @Override
    public Optional<String> url() {
        return server.url();
    }

    @Override
    public Health health() {
        return server.health();
    }

    @Override
    public List<Family> metrics(boolean withJvm) {
        return server.metrics(withJvm);
    }

    // Sources

    @Override
    public HandlerRegistry registry() {
        return registry;
    }

    @Override
    public HttpNumbers http() {
        return httpTracker.getService();
    }

    @Override
    public String httpMissing() {
        if (httpTracker.getService() != null) {
            return null;
        }
        for (Bundle b : context.getBundles()) {
            if (HTTP_BUNDLE.equals(b.getSymbolicName()) && (b.getState() & (Bundle.ACTIVE | Bundle.STARTING
                    | Bundle.STOPPING)) != 0) {
                return "the HTTP front (bundle " + HTTP_BUNDLE + " " + b.getVersion() + ") is installed but not"
                        + " serving" + (b.getState() == Bundle.ACTIVE ? ": see the log for why (its configuration"
                        + " io.handlerregistry.http, the registry)" : " (its bundle is stopping or starting)");
            }
        }
        return null;
    }

    @Override
    public List<DeployFolder> deployFolders() {
        List<ServiceReference<DeployFolder>> refs = deployFolders;
        if (refs == null || refs.isEmpty()) {
            return List.of();
        }
        List<DeployFolder> folders = new ArrayList<>();
        for (ServiceReference<DeployFolder> ref : refs) {
            DeployFolder folder = context.getService(ref);
            if (folder != null) {
                folders.add(folder);
                context.ungetService(ref);
            }
        }
        return Collections.unmodifiableList(folders);
    }

    /**
     * The registry's own deploy folder registers its service once the files it held at start are deployed:
     * until then, if one is configured, the container is not ready.
     */
    @Override
    public String deployFolderStarting() {
        HandlerRegistry r = registry;
        if (r == null) {
            return null;
        }
        Optional<String> directory = DeployConfiguration.directory(context, DEPLOY_PID);
        if (directory.isEmpty()) {
            return null;
        }
        List<ServiceReference<DeployFolder>> refs = deployFolders;
        ServiceReference<HandlerRegistry> registryRef = context.getServiceReference(HandlerRegistry.class);
        Bundle owner = registryRef == null ? null : registryRef.getBundle();
        if (refs != null) {
            for (ServiceReference<DeployFolder> ref : refs) {
                if (owner != null && owner.equals(ref.getBundle())) {
                    return null;
                }
            }
        }
        return "the deploy folder " + directory.get() + " is deploying the files it held at start";
    }

    @Override
    public boolean stopping() {
        return stopping;
    }

    /** The framework properties {@code io.handlerregistry.admin.<key>}: the settings where no configuration is. */
    private static Map<String, Object> frameworkProperties(BundleContext context) {
        Map<String, Object> found = new HashMap<>();
        for (String key : AdminSettings.KEYS) {
            String value = context.getProperty(AdminSettings.PID + "." + key);
            if (value != null) {
                found.put(key, value);
            }
        }
        return found;
    }

    private static void warn(String line) {
        LOG.log(Level.WARNING, line);
    }
}
