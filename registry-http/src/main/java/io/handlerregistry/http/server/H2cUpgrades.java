package io.handlerregistry.http.server;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * h2c, prior knowledge and upgrade, with one upgrade refused: that of a request whose body has no
 * length (chunked). Jetty declines the upgrade of a request with a Content-Length body, but switches
 * a chunked one to HTTP/2 before its body is read and then cancels its stream, so the client (a
 * java.net.http client's first streamed POST, {@code curl --http2} with a chunked body) gets no
 * answer. Refused, the request is answered over HTTP/1.1, as RFC 9113 lets a server do.
 */
final class H2cUpgrades extends HTTP2CServerConnectionFactory {
    H2cUpgrades(HttpConfiguration configuration) {
        super(configuration);
    }

    @Override
    public Connection upgradeConnection(Connector connector, EndPoint endPoint, MetaData.Request request,
            HttpFields.Mutable response101) {
        if (request.getHttpFields().contains(HttpHeader.TRANSFER_ENCODING)) {
            return null;
        }
        return super.upgradeConnection(connector, endPoint, request, response101);
    }
}
