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
 * and stops gracefully with its bundle or the framework (and so on SIGTERM to the container).
 */
@Component(service = HttpFront.class, configurationPid = HttpSettings.PID, immediate = true)
@Designate(ocd = FrontConfiguration.class)
public final class HttpComponent implements HttpFront {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");

    private final HttpSettings base;
    private final HttpServer server;
    private HttpSettings settings; // guarded by this

    @Activate
    public HttpComponent(BundleContext context, @Reference HandlerRegistry registry, Map<String, Object> properties)
            throws Exception {
        this.base = HttpSettings.DEFAULTS.with(frameworkProperties(context), HttpSettings.DEFAULTS, HttpComponent::warn);
        this.settings = base.with(properties, base, HttpComponent::warn);
        this.server = new HttpServer(registry, settings, HttpComponent::warn);
        server.start();
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        settings = base.with(properties, settings, HttpComponent::warn);
        server.reconfigure(settings);
    }

    @Deactivate
    void deactivate() {
        server.stop();
    }

    @Override
    public List<Listener> listeners() {
        return server.listeners();
    }

    @Override
    public List<Route> routes() {
        return server.routes();
    }

    @Override
    public Counters counters() {
        return server.counters();
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
