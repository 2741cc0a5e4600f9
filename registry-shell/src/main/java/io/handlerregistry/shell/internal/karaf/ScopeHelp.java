package io.handlerregistry.shell.internal.karaf;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import io.handlerregistry.shell.internal.CommandSet;

/**
 * {@code handler:help} in Karaf, a Karaf action: Karaf's {@code help handler} lists a scope's
 * commands (with what each does) only when one of them is an action class of a bundle, which this
 * one is; the others are plain commands ({@link KarafCommand}).
 */
@Service
@Command(scope = "handler", name = "help", description = "lists the handler commands with what each does;"
        + " 'help handler:<command>' or '<command> --help' shows the usage of one")
public final class ScopeHelp implements Action {
    @Override
    public Object execute() {
        return CommandSet.summary();
    }
}
