package io.handlerregistry.http.osgi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.http.api.HttpFront.Counters;
import io.handlerregistry.http.server.HttpSettings;
import io.handlerregistry.http.server.RegistryServlet;

/**
 * The front's routes on the application's own HTTP server: a {@link RegistryServlet} registered as a
 * {@code jakarta.servlet.Servlet} service with the OSGi HTTP Whiteboard's properties (pattern
 * {@code <whiteboard.path>/*}, async supported), which every whiteboard runtime (Felix HTTP Jetty 12
 * and others implementing the Servlet Whiteboard) serves in its default context. Loaded only where
 * the jakarta servlet API is wired to this bundle (see {@code HttpComponent}).
 */
final class Whiteboard {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    /** The Servlet Whiteboard's runtime service (OSGi R8.1 and Felix HTTP Jetty 12), by name: its package is not imported. */
    private static final String RUNTIME = "org.osgi.service.servlet.runtime.HttpServiceRuntime";

    private final BundleContext context;
    private final RegistryServlet servlet;
    private final ServiceRegistration<?> registration;
    private String path;

    Whiteboard(BundleContext context, HandlerRegistry registry, HttpSettings settings) {
        this.context = context;
        this.servlet = new RegistryServlet(registry, settings);
        this.path = settings.whiteboardPath();
        this.registration = context.registerService("jakarta.servlet.Servlet", servlet, properties(path));
        LOG.log(Level.INFO, "HTTP front: its routes are served through the OSGi HTTP Whiteboard too, {0}", where(path));
    }

    void settings(HttpSettings next) {
        servlet.settings(next);
        if (!next.whiteboardPath().equals(path)) {
            path = next.whiteboardPath();
            registration.setProperties(properties(path));
            LOG.log(Level.INFO, "HTTP front: the whiteboard servlet moved, {0}", where(path));
        }
    }

    /** The front's counters with the whiteboard's answers added. */
    Counters addTo(Counters front) {
        Map<Integer, Long> statuses = new TreeMap<>(front.statuses());
        long requests = front.requests();
        for (Map.Entry<Integer, Long> e : servlet.answered().entrySet()) {
            statuses.merge(e.getKey(), e.getValue(), Long::sum);
            requests += e.getValue();
        }
        return new Counters(front.connections(),
                front.inFlight() + servlet.inFlight(), requests, statuses, front.nanosSinceStart());
    }

    /**
     * Unregisters the servlet (the whiteboard stops routing to it) and waits up to {@code timeoutMs}
     * for the requests it is answering.
     */
    void close(long timeoutMs) {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // unregistered already, with the bundle
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            while (servlet.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the last answers being written
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (servlet.inFlight() > 0) {
            long left = servlet.inFlight();
            LOG.log(Level.WARNING, "HTTP front: the whiteboard servlet went with {0} still in flight after"
                    + " {1} ms (shutdown.timeout.ms)", left == 1 ? "1 request" : left + " requests", timeoutMs);
        }
        servlet.close();
    }

    private static Hashtable<String, Object> properties(String path) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("osgi.http.whiteboard.servlet.pattern", path.equals("/") ? "/*" : path + "/*");
        properties.put("osgi.http.whiteboard.servlet.name", "io.handlerregistry.http");
        properties.put("osgi.http.whiteboard.servlet.asyncSupported", Boolean.TRUE);
        return properties;
    }

    /** Where the servlet serves: the whiteboard runtimes' endpoints with the path, or that none runs yet. */
    private String where(String path) {
        List<String> urls = new ArrayList<>();
        try {
            ServiceReference<?>[] runtimes = context.getAllServiceReferences(RUNTIME, null);
            for (ServiceReference<?> runtime : runtimes == null ? new ServiceReference<?>[0] : runtimes) {
                for (String endpoint : HttpSettings.texts(runtime.getProperty("osgi.http.endpoint"))) {
                    String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
                    urls.add(base + (path.equals("/") ? "/" : path + "/"));
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // no filter is given
        }
        if (urls.isEmpty()) {
            return "at " + path + " of the application's server once an HTTP Whiteboard runtime (jakarta servlet,"
                    + " service " + RUNTIME + ") runs; none does yet";
        }
        return "at " + String.join(", ", urls) + " (whiteboard.path of " + HttpSettings.PID + ")";
    }
}
