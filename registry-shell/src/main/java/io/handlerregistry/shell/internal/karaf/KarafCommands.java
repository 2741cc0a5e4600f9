package io.handlerregistry.shell.internal.karaf;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Manager;
import org.apache.karaf.shell.api.console.Command;
import org.apache.karaf.shell.api.console.SessionFactory;

import io.handlerregistry.shell.internal.CommandSet;

/**
 * The handler commands as Karaf's own: registered in the registry of Karaf's shell, each with a
 * description, a completer (options, endpoint ids, versions, files) and its usage for Karaf's
 * {@code help}. Karaf shows a plain Gogo command service only by name (no completion beyond it, no
 * help, and every function of the service, internal ones too). Only loaded where Karaf's shell API
 * is wired to this bundle (an optional import).
 */
public final class KarafCommands implements AutoCloseable {
    private final SessionFactory factory;
    private final List<Command> registered = new ArrayList<>();
    private Manager actions; // where ScopeHelp is registered, if Karaf's shell has action commands

    private KarafCommands(SessionFactory factory) {
        this.factory = factory;
    }

    /** Registers the commands in Karaf's shell; closing unregisters them. */
    public static KarafCommands register(Object sessionFactory, CommandSet commands) {
        KarafCommands karaf = new KarafCommands((SessionFactory) sessionFactory);
        for (String name : commands.names()) {
            KarafCommand command = new KarafCommand(commands, name);
            karaf.factory.getRegistry().register(command);
            karaf.registered.add(command);
        }
        karaf.actions = karaf.factory.getRegistry().getService(Manager.class);
        if (karaf.actions != null) {
            karaf.actions.register(ScopeHelp.class);
        }
        return karaf;
    }

    @Override
    public void close() {
        for (Command command : registered) {
            factory.getRegistry().unregister(command);
        }
        registered.clear();
        if (actions != null) {
            actions.unregister(ScopeHelp.class);
            actions = null;
        }
    }
}
