package io.handlerregistry.http.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.http.api.HttpFront;
import io.handlerregistry.http.server.HttpServer;
import io.handlerregistry.http.server.HttpSettings;

/**
 * The HTTP front as a DS component: serves the {@link HandlerRegistry} service's endpoints while both
 * run, follows its configuration (PID {@value HttpSettings#PID}) without dropping requests in flight,
 * and stops gracefully with its bundle or the framework (and so on SIGTERM to the container). With
 * {@code whiteboard.enabled}, the same routes are served on the application's own HTTP server too,
 * through its OSGi HTTP Whiteboard ({@link Whiteboard}).
 */
@Component(service = HttpFront.class, configurationPid = HttpSettings.PID, immediate = true)
@Designate(ocd = FrontConfiguration.class)
public final class HttpComponent implements HttpFront {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");

    private final BundleContext context;
    private final HandlerRegistry registry;
    private final HttpSettings base;
    private final HttpServer server;
    private HttpSettings settings; // guarded by this
    private Whiteboard whiteboard; // guarded by this; null unless whiteboard.enabled and the servlet API is there

    @Activate
    public HttpComponent(BundleContext context, @Reference HandlerRegistry registry, Map<String, Object> properties)
            throws Exception {
        this.context = context;
        this.registry = registry;
        this.base = HttpSettings.DEFAULTS.with(frameworkProperties(context), HttpSettings.DEFAULTS, HttpComponent::warn);
        this.settings = base.with(properties, base, HttpComponent::warn);
        this.server = new HttpServer(registry, settings, HttpComponent::warn);
        server.start();
        synchronized (this) {
            followWhiteboard(settings);
        }
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        settings = base.with(properties, settings, HttpComponent::warn);
        server.reconfigure(settings);
        followWhiteboard(settings);
    }

    @Deactivate
    void deactivate() {
        synchronized (this) {
            if (whiteboard != null) {
                whiteboard.close(settings.shutdownTimeoutMs());
                whiteboard = null;
            }
        }
        server.stop();
    }

    /** Registers, updates or removes the whiteboard servlet as the settings say. */
    private void followWhiteboard(HttpSettings s) {
        if (!s.whiteboardEnabled()) {
            if (whiteboard != null) {
                whiteboard.close(s.shutdownTimeoutMs());
                whiteboard = null;
                LOG.log(Level.INFO, "HTTP front: no longer served through the OSGi HTTP Whiteboard (whiteboard.enabled"
                        + " is false)");
            }
        } else if (whiteboard != null) {
            whiteboard.settings(s);
        } else if (servletApiPresent()) {
            whiteboard = new Whiteboard(context, registry, s);
        } else {
            warn("configuration " + HttpSettings.PID + ": whiteboard.enabled is true, but bundle "
                    + context.getBundle().getSymbolicName() + " sees no jakarta.servlet package (servlet 5 or 6): install"
                    + " an OSGi HTTP Whiteboard with the jakarta servlet API (e.g. Felix HTTP Jetty 12 with"
                    + " org.apache.felix.http.servlet-api), then refresh " + context.getBundle().getSymbolicName()
                    + "; until then the routes are served on the front's own port only");
        }
    }

    /**
     * True if this bundle sees the jakarta servlet API: its import is optional, wired only when an
     * exporter was there as the bundle resolved (a whiteboard installed later needs a refresh of this
     * bundle). Checked before anything touches the servlet classes.
     */
    private static boolean servletApiPresent() {
        try {
            Class.forName("jakarta.servlet.http.HttpServlet", false, HttpComponent.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public List<Listener> listeners() {
        return server.listeners();
    }

    @Override
    public List<Route> routes() {
        return server.routes();
    }

    /** The front's counters, with the answers of the whiteboard servlet added while it serves. */
    @Override
    public Counters counters() {
        Counters front = server.counters();
        synchronized (this) {
            return whiteboard == null ? front : whiteboard.addTo(front);
        }
    }

    /** On the front's own port (the whiteboard servlet's answers are in {@link #counters()} only). */
    @Override
    public Map<String, EndpointCounters> endpointCounters() {
        return server.endpointCounters();
    }

    @Override
    public Map<String, Map<Long, EndpointCounters>> versionCounters() {
        return server.versionCounters();
    }

    /** The framework properties {@code io.handlerregistry.http.<key>}: the settings where no configuration is. */
    private static Map<String, Object> frameworkProperties(BundleContext context) {
        Map<String, Object> found = new HashMap<>();
        for (String key : HttpSettings.KEYS) {
            String value = context.getProperty(HttpSettings.PID + "." + key);
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
