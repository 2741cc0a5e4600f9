package io.handlerregistry.shell.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * In the container, closes the Gogo sessions that ran commands before Gogo itself stops. Gogo
 * JLine's {@code gosh --nointeractive} (batch mode, and starts without a terminal) never closes its
 * session. Gogo runtime 1.1.6 holds sessions weakly and at its stop copies them into an array sized
 * before the copy: a session the collector had cleared but not yet dropped from the map left a null
 * in it, and the stop failed with a NullPointerException whose stack trace ended the container's
 * output (seen once in CI). Kept here until closed, no session is left for the collector to clear.
 * Only in the container ({@value #CONTAINER_PROPERTY} is set), where a few sessions ever run: under
 * Karaf every SSH connection is one, and keeping them would keep them all.
 */
@Component(immediate = true, service = {}) // registered by hand, in the container only
public final class SessionCloser implements CommandSessionListener {
    /** Set by the container's launcher script. */
    static final String CONTAINER_PROPERTY = "handler.registry.home";

    private final BundleContext context;
    private final Set<CommandSession> seen = ConcurrentHashMap.newKeySet();
    private final ServiceRegistration<CommandSessionListener> registration;

    /**
     * @param processor not used: while it is there the closer is active; Gogo unregisters it just
     *                  before it stops, so the sessions are closed first, whichever bundle stops first
     */
    @Activate
    public SessionCloser(BundleContext context, @Reference CommandProcessor processor) {
        this.context = context;
        this.registration = context.getProperty(CONTAINER_PROPERTY) == null ? null
                : context.registerService(CommandSessionListener.class, this, null);
    }

    @Override
    public void beforeExecute(CommandSession session, CharSequence command) {
        seen.add(session);
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Exception exception) {
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Object result) {
    }

    /**
     * Closes the sessions when Gogo goes (its processor was unregistered) or the framework stops; not
     * when only this bundle stops while the framework runs (an update): the console's session is in
     * use then.
     */
    @Deactivate
    void deactivate(int reason) {
        if (registration == null) {
            return;
        }
        registration.unregister();
        if (reason == ComponentConstants.DEACTIVATION_REASON_REFERENCE
                || context.getBundle(0).getState() == Bundle.STOPPING) {
            closeAll();
        }
        seen.clear();
    }

    /** Closes every session that ran a command; one closed already stays so. */
    void closeAll() {
        for (CommandSession session : seen) {
            session.close();
        }
        seen.clear();
    }
}
