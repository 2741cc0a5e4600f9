package io.handlerregistry.http.server;

import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The front's listener: a {@link ServerConnector} with one acceptor thread, which a stop ends by closing
 * the listening channel, never by an interrupt. An acceptor interrupted just as {@code accept()} returns
 * a connection loses it: the JDK throws {@code ClosedByInterruptException} and the accepted socket is
 * neither handed out nor closed, so its client waits for an answer until its own timeout (seen in 3 stops
 * of 40 under load). Jetty's graceful shutdown closes the channel, then interrupts; here the close alone
 * ends an acceptor blocked in {@code accept()} (a connection accepted at that moment is returned and
 * served), and an acceptor whose channel is closed ends quietly, without Jetty's "Accept Failure" warning
 * and its second of sleep.
 */
final class FrontConnector extends ServerConnector {
    FrontConnector(Server server, ConnectionFactory... factories) {
        super(server, 1, -1, factories);
    }

    @Override
    protected void interruptAcceptors() {
        if (isOpen()) {
            super.interruptAcceptors(); // not closed: stopped before it was opened, or an acceptor waits to accept
        }
    }

    @Override
    protected boolean handleAcceptFailure(Throwable failure) {
        return isOpen() && super.handleAcceptFailure(failure);
    }
}
