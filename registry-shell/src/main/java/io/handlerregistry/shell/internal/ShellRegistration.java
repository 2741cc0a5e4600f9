package io.handlerregistry.shell.internal;

import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

import io.handlerregistry.shell.internal.karaf.KarafCommands;

/**
 * Offers the handler commands to the shell there is. Where Karaf's shell runs (its
 * {@code SessionFactory} service is there), they are registered as Karaf commands, with Karaf's
 * completion and help; everywhere else (Felix's or Equinox's Gogo, the container), as a Gogo command
 * service ({@code osgi.command.scope=handler}). Never both: Karaf would also list the Gogo service's
 * functions, each twice, its internal one too. Karaf is no dependency: its API is an optional import,
 * used only when its shell is found.
 */
@Component(immediate = true)
public final class ShellRegistration {
    static final String KARAF_SESSION_FACTORY = "org.apache.karaf.shell.api.console.SessionFactory";

    private final BundleContext context;
    private final HandlerCommands commands;
    private final ServiceTracker<Object, KarafCommands> karaf;
    private ServiceRegistration<?> gogo; // guarded by this
    private volatile boolean closing;

    @Activate
    public ShellRegistration(BundleContext context, @Reference HandlerCommands commands) throws InvalidSyntaxException {
        this.context = context;
        this.commands = commands;
        this.karaf = new ServiceTracker<>(context, context.createFilter("(objectClass=" + KARAF_SESSION_FACTORY + ")"),
                new ServiceTrackerCustomizer<Object, KarafCommands>() {
                    @Override
                    public KarafCommands addingService(ServiceReference<Object> reference) {
                        return karafShell(reference);
                    }

                    @Override
                    public void modifiedService(ServiceReference<Object> reference, KarafCommands service) {
                    }

                    @Override
                    public void removedService(ServiceReference<Object> reference, KarafCommands service) {
                        service.close();
                        context.ungetService(reference);
                        if (!closing && karaf.isEmpty()) { // Karaf's shell went: Gogo's may still be there
                            registerGogo();
                        }
                    }
                });
        karaf.open();
        if (karaf.isEmpty()) {
            registerGogo();
        }
    }

    @Deactivate
    void deactivate() {
        closing = true;
        karaf.close();
        unregisterGogo();
    }

    private KarafCommands karafShell(ServiceReference<Object> reference) {
        if (!reference.isAssignableTo(context.getBundle(), KARAF_SESSION_FACTORY)) {
            return null; // another copy of Karaf's API than the one wired to this bundle
        }
        Object factory = context.getService(reference);
        if (factory == null) {
            return null;
        }
        try {
            KarafCommands registered = KarafCommands.register(factory, new CommandSet(commands));
            unregisterGogo();
            return registered;
        } catch (LinkageError notWired) { // Karaf's shell API is not wired to this bundle
            context.ungetService(reference);
            return null;
        }
    }

    private synchronized void registerGogo() {
        if (gogo == null) {
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("osgi.command.scope", HandlerCommands.SCOPE);
            properties.put("osgi.command.function", HandlerCommands.FUNCTIONS.toArray(new String[0]));
            gogo = context.registerService(Object.class.getName(), commands, properties);
        }
    }

    private synchronized void unregisterGogo() {
        if (gogo != null) {
            gogo.unregister();
            gogo = null;
        }
    }
}
