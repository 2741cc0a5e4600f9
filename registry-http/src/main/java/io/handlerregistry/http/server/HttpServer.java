package io.handlerregistry.http.server;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.http.api.HttpFront;

/**
 * The HTTP front: a Jetty 12 server with core handlers only (no servlet layer) that serves a
 * {@link HandlerRegistry}'s endpoints. Plain Java: the OSGi component only feeds it settings.
 *
 * <ul>
 * <li>Settings change while it serves: routes and limits at once for the requests that come next;
 * a new host, port or protocol list opens the new listener first and then closes the old one
 * gracefully, so no request in flight is lost.</li>
 * <li>{@link #stop()} is graceful: it stops reporting ready, waits {@code shutdown.delay.ms} (a load
 * balancer's time to notice), stops accepting, answers what comes in on open connections with
 * {@code Connection: close} (HTTP/2: GOAWAY), and waits up to {@code shutdown.timeout.ms} for the
 * requests in flight.</li>
 * </ul>
 */
public final class HttpServer implements HttpFront {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    /** Threads beyond the request places: acceptors, selectors and Jetty's reserved threads. */
    private static final int SPARE_THREADS = 16;
    /** From the graceful GOAWAY of HTTP/2 to the last one (see {@link #lastGoAway()}): a round trip's time, and more. */
    private static final long LAST_GOAWAY_MS = 1_000;

    private final Consumer<String> complaint;
    private final Server server;
    private final QueuedThreadPool threads;
    private final HttpConfiguration http = new HttpConfiguration();
    /** HTTP/2's: the same, but decoding headers up to {@link #h2HeaderBytes} (see RegistryHandler.headerBytes). */
    private final HttpConfiguration h2 = new HttpConfiguration();
    private final Traffic traffic;
    private final Watchdog watchdog = new Watchdog();
    private final RegistryHandler handler;
    private final NetworkConnectionLimit connectionLimit;
    private HttpSettings settings; // guarded by this
    private ServerConnector connector; // guarded by this; null while not listening
    private volatile boolean ready;

    /**
     * @param complaint told one line for each thing that could not be done as configured (a port in use)
     */
    public HttpServer(HandlerRegistry registry, HttpSettings settings, Consumer<String> complaint) {
        this.settings = settings;
        this.complaint = complaint;
        this.threads = new QueuedThreadPool(settings.maxConcurrentRequests() + SPARE_THREADS, 8);
        threads.setName("handler-http");
        this.server = new Server(threads);
        this.traffic = new Traffic(settings.maxConcurrentRequests(), Traffic.versionsOf(registry));
        ErrorLog errors = new ErrorLog();
        this.handler = new RegistryHandler(registry, settings, traffic, watchdog, errors);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(settings.maxRequestHeaderBytes());
        h2.setSendServerVersion(false);
        h2.setSendXPoweredBy(false);
        h2.setRequestHeaderSize(h2HeaderBytes(settings.maxRequestHeaderBytes()));
        server.setHandler(handler);
        server.setErrorHandler(new ProblemErrorHandler(http::getRequestHeaderSize, traffic, errors));
        this.connectionLimit = new NetworkConnectionLimit(limitOf(settings), server);
        server.addBean(connectionLimit);
    }

    /** Starts serving; a listener that cannot be opened is a complaint, and {@link #reconfigure} tries again. */
    public synchronized void start() throws Exception {
        server.start();
        listen(settings);
        ready = true;
    }

    /** Applies new settings while serving (see the class comment). */
    public synchronized void reconfigure(HttpSettings next) {
        HttpSettings previous = settings;
        settings = next;
        handler.settings(next);
        traffic.setMax(next.maxConcurrentRequests());
        threads.setMaxThreads(Math.max(threads.getMinThreads(), next.maxConcurrentRequests() + SPARE_THREADS));
        http.setRequestHeaderSize(next.maxRequestHeaderBytes());
        h2.setRequestHeaderSize(h2HeaderBytes(next.maxRequestHeaderBytes()));
        connectionLimit.setMaxNetworkConnectionCount(limitOf(next));
        if (connector != null) {
            connector.setIdleTimeout(next.idleTimeoutMs());
        }
        if (connector == null || previous.listenerDiffers(next)) {
            listen(next);
        }
    }

    /** Opens a listener for the settings; the one before goes once it is open, gracefully. */
    private void listen(HttpSettings s) {
        List<ConnectionFactory> factories = new ArrayList<>();
        factories.add(new HttpConnectionFactory(http));
        if (s.h2c()) {
            factories.add(new H2cUpgrades(h2));
        }
        ServerConnector fresh = new FrontConnector(server, factories.toArray(ConnectionFactory[]::new));
        fresh.setHost(s.host());
        fresh.setPort(s.port());
        fresh.setIdleTimeout(s.idleTimeoutMs());
        ServerConnector old = connector;
        boolean sameAddress = old != null && old.getLocalPort() == s.port() && old.getHost().equals(s.host());
        if (sameAddress) {
            // the same address with other protocols: the old listener stops accepting first (connections
            // are refused for that moment); its open connections are still answered, then closed
            old.close();
            connector = null;
            retire(old);
            old = null;
        }
        try {
            open(fresh, sameAddress);
            server.addConnector(fresh);
            if (!fresh.isStarted()) {
                fresh.start();
            }
        } catch (Exception e) {
            fresh.close();
            server.removeConnector(fresh);
            complaint.accept("the HTTP front cannot listen on " + s.host() + ":" + s.port() + " (" + e.getMessage()
                    + "): set host and port in the configuration " + HttpSettings.PID
                    + (connector == null ? "; it listens nowhere until then"
                            : "; it listens on " + describe(connector) + " until then"));
            return;
        }
        connector = fresh;
        LOG.log(Level.INFO, "HTTP front listening on {0} ({1}); try: curl {2}/echo/hello", describe(fresh),
                String.join(", ", fresh.getProtocols()), listeners().get(0).url());
        if (old != null) {
            retire(old);
        }
    }

    /**
     * Binds the listener. On the address of a listener closed just now, binding is tried again for a
     * moment: the closed socket can still be held while its acceptor thread leaves accept().
     */
    private static void open(ServerConnector fresh, boolean justReleased) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            try {
                fresh.open();
                return;
            } catch (IOException e) {
                if (!justReleased || System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.log(Level.DEBUG, "HTTP front: binding " + fresh.getHost() + ":" + fresh.getPort()
                        + " again, its listener was closed just now", e);
                Thread.sleep(20);
            }
        }
    }

    /** A listener no longer wanted: it accepts no more, answers what its connections send, and goes once they closed. */
    private void retire(ServerConnector old) {
        old.shutdown().whenComplete((v, x) -> {
            try {
                old.stop();
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "closing the old listener " + describe(old), e);
            }
            server.removeConnector(old);
        });
    }

    /**
     * Stops gracefully: not ready, the shutdown delay, no new connections, open ones closed after their
     * answer, then waits for the requests in flight up to the shutdown timeout.
     *
     * @return true if every connection had closed gracefully before the shutdown timeout; false if
     *         some were closed by force at its end (logged)
     */
    public boolean stop() {
        HttpSettings s;
        synchronized (this) {
            s = settings;
            ready = false;
        }
        boolean drained = false;
        try {
            if (s.shutdownDelayMs() > 0) {
                LOG.log(Level.INFO, "HTTP front: not ready; serving {0} ms more before it stops (shutdown.delay.ms)",
                        s.shutdownDelayMs());
                Thread.sleep(s.shutdownDelayMs());
            }
            handler.stopping();
            CompletableFuture<Void> closed = Graceful.shutdown(server);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(s.shutdownTimeoutMs());
            drained = drained(closed, Math.min(LAST_GOAWAY_MS, s.shutdownTimeoutMs()));
            if (!drained) {
                lastGoAway();
                drained = drained(closed, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            if (!drained) {
                LOG.log(Level.WARNING, "HTTP front: {0} connection(s) still open after {1} ms (shutdown.timeout.ms):"
                        + " they are closed now; raise shutdown.timeout.ms in " + HttpSettings.PID + " if clients need"
                        + " longer to finish", connections(), s.shutdownTimeoutMs());
            }
            // a connection accepted just before the listener closed can still bring a request now: from here
            // on none is taken in, and those taken in get their answers written before the connections close
            handler.close();
            while (handler.answering() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the last answers being written
            }
            if (handler.answering() > 0) {
                long left = handler.answering();
                LOG.log(Level.WARNING, "HTTP front stopped with {0} still in flight after {1} ms"
                        + " (shutdown.timeout.ms): their connections are closed", left == 1 ? "1 request" : left
                        + " requests", s.shutdownTimeoutMs());
            }
            server.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopNow();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "HTTP front: stopping failed", e);
        } finally {
            watchdog.close();
        }
        LOG.log(Level.INFO, "HTTP front stopped");
        return drained;
    }

    private int connections() {
        int open = 0;
        for (Connector c : server.getConnectors()) {
            open += c.getConnectedEndPoints().size();
        }
        return open;
    }

    /** Waits up to {@code millis} for the graceful shutdown; true if it is done (every connection closed). */
    private static boolean drained(CompletableFuture<Void> closed, long millis) throws InterruptedException {
        try {
            closed.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /**
     * The last GOAWAY of each HTTP/2 session still open, naming the last stream taken in. Jetty's
     * graceful GOAWAY names no stream (2^31-1: a client may still be opening one as it goes out), and
     * Jetty sends the last one only once a session has no stream left; a client that keeps a few
     * streams open at all times (h2load -m10, a proxy) never lets that happen, and the stop waited
     * its whole shutdown timeout and then cut the streams in flight. After the first GOAWAY had a
     * round trip's time to arrive, this one lets the session drain (RFC 9113 6.8): the client sends
     * later requests elsewhere and the streams taken in are answered.
     */
    private void lastGoAway() {
        for (Connector c : server.getConnectors()) {
            for (EndPoint endPoint : c.getConnectedEndPoints()) {
                if (endPoint.getConnection() instanceof HTTP2Connection h2) {
                    h2.getSession().close(ErrorCode.NO_ERROR.code, "the server is stopping", Callback.NOOP);
                }
            }
        }
    }

    private void stopNow() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "HTTP front: stopping failed", e);
        }
    }

    /** True while it serves and is not stopping: what a load balancer's health check asks. */
    public boolean isReady() {
        return ready;
    }

    @Override
    public synchronized List<Listener> listeners() {
        if (connector == null) {
            return List.of();
        }
        String host = connector.getHost();
        return List.of(new Listener(host, connector.getLocalPort(), connector.getProtocols()));
    }

    @Override
    public synchronized List<Route> routes() {
        return settings.routes().list();
    }

    @Override
    public Counters counters() {
        long connections;
        synchronized (this) {
            connections = connector == null ? 0 : connector.getConnectedEndPoints().size();
        }
        return new Counters(connections, traffic.inFlight(), traffic.answered(), traffic.byStatus(),
                traffic.nanosSinceStart());
    }

    /**
     * How much of an HTTP/2 request's headers is decoded: beyond max.request.header.bytes, so that
     * the front answers 431 (HPACK makes a header block over the decoder's limit an error of the
     * whole connection: GOAWAY, no answer); four times the limit, at least 64 KiB.
     */
    static int h2HeaderBytes(int max) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(65_536L, 4L * max));
    }

    @Override
    public Map<String, EndpointCounters> endpointCounters() {
        return traffic.byEndpoint();
    }

    @Override
    public Map<String, Map<Long, EndpointCounters>> versionCounters() {
        return traffic.byVersion();
    }

    private static int limitOf(HttpSettings s) {
        return s.maxConnections() == 0 ? Integer.MAX_VALUE : s.maxConnections();
    }

    private static String describe(ServerConnector c) {
        String host = c.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + c.getLocalPort();
    }

    /** For tests: the port bound now, or -1. */
    synchronized int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }
}
