package io.handlerregistry.admin.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import io.handlerregistry.admin.api.AdminFront;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The admin front: a small Jetty (HTTP/1.1, a few threads) apart from the traffic port, read-only:
 * <ul>
 * <li>{@code /metrics}: the registry's numbers ({@link RegistryMetrics}) and the JVM's, in the Prometheus
 * text format, or OpenMetrics when the Accept header asks for it, written by the Prometheus client;</li>
 * <li>{@code /livez}, {@code /readyz}: 200 or 503 ({@link Checks}); {@code ?verbose} lists each check;</li>
 * <li>{@code /status}: JSON ({@link StatusJson}).</li>
 * </ul>
 * Other methods than GET and HEAD get 405; other paths 404 with the list of paths.
 */
public final class AdminServer implements AdminFront {
    private static final Logger LOG = System.getLogger("io.handlerregistry.admin");
    private static final String PATHS = "/metrics (Prometheus, OpenMetrics), /livez, /readyz (?verbose), /status (JSON)";

    private final Sources sources;
    private final Consumer<String> complaint;
    private final Server server;
    private final PrometheusRegistry metrics = new PrometheusRegistry();
    private final PrometheusRegistry jvm = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();
    private AdminSettings settings; // guarded by this
    private ServerConnector connector; // guarded by this; null while not listening
    private boolean jvmRegistered; // guarded by this
    private volatile boolean jvmMetrics;

    /** @param complaint told one line for each thing that could not be done as configured (a port in use) */
    public AdminServer(Sources sources, AdminSettings settings, Consumer<String> complaint) {
        this.sources = sources;
        this.settings = settings;
        this.complaint = complaint;
        QueuedThreadPool threads = new QueuedThreadPool(12, 2);
        threads.setName("handler-admin");
        this.server = new Server(threads);
        server.setHandler(new Routes());
        metrics.register(new RegistryMetrics(sources));
    }

    public synchronized void start() throws Exception {
        server.start();
        applyJvm(settings);
        listen(settings);
    }

    /** Applies new settings: a new address opens the new listener first, then closes the old one. */
    public synchronized void reconfigure(AdminSettings next) {
        AdminSettings before = settings;
        settings = next;
        applyJvm(next);
        if (connector == null || !before.host().equals(next.host()) || before.port() != next.port()) {
            ServerConnector old = connector;
            connector = null;
            listen(next);
            if (old != null) {
                try {
                    old.stop();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "admin front: closing the old listener failed", e);
                }
                server.removeConnector(old);
            }
        }
    }

    public void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "admin front: stopping failed", e);
        }
        LOG.log(Level.INFO, "admin front stopped");
    }

    private void applyJvm(AdminSettings s) {
        if (s.jvmMetrics() && !jvmRegistered) {
            JvmMetrics.builder().register(jvm);
            jvmRegistered = true;
        }
        jvmMetrics = s.jvmMetrics();
    }

    private void listen(AdminSettings s) {
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        ServerConnector c = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        c.setHost(s.host());
        c.setPort(s.port());
        c.setIdleTimeout(30_000);
        try {
            server.addConnector(c);
            c.start();
            connector = c;
            LOG.log(Level.INFO, "admin front: listening on {0} (/metrics, /livez, /readyz, /status)", url().orElse(""));
        } catch (Exception e) {
            server.removeConnector(c);
            complaint.accept("admin front: cannot listen on " + s.host() + ":" + s.port() + " (" + e.getMessage()
                    + "); set host and port in the configuration " + AdminSettings.PID
                    + " (port 0: any free port)");
        }
    }

    @Override
    public synchronized Optional<String> url() {
        if (connector == null) {
            return Optional.empty();
        }
        String host = connector.getHost() == null ? "0.0.0.0" : connector.getHost();
        return Optional.of("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + connector.getLocalPort());
    }

    /** For tests: the port bound now, or -1. */
    public synchronized int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }

    @Override
    public Health health() {
        return Checks.of(sources);
    }

    /** What {@code /metrics} serves now. */
    public MetricSnapshots scrape(boolean withJvm) {
        MetricSnapshots own = metrics.scrape();
        if (!withJvm) {
            return own;
        }
        List<MetricSnapshot> all = new ArrayList<>(own.size() + 32);
        own.forEach(all::add);
        jvm.scrape().forEach(all::add);
        return new MetricSnapshots(all);
    }

    @Override
    public List<Family> metrics(boolean withJvm) {
        return Readable.of(scrape(withJvm && jvmMetrics));
    }

    /** Answers the admin paths. */
    private final class Routes extends Handler.Abstract {
        Routes() {
            super(InvocationType.BLOCKING);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws IOException {
            String method = request.getMethod();
            String path = request.getHttpURI().getPath();
            if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                send(response, callback, 405, "text/plain", "the admin front is read-only: GET " + PATHS + "\n");
                return true;
            }
            String query = request.getHttpURI().getQuery();
            boolean verbose = query != null && (query.equals("verbose") || query.startsWith("verbose=")
                    || query.contains("&verbose"));
            switch (path == null ? "" : path) {
                case "/metrics":
                    metrics(request, response, callback);
                    break;
                case "/livez":
                case "/readyz":
                    health(path.equals("/livez"), verbose, response, callback);
                    break;
                case "/status":
                    send(response, callback, 200, "application/json", StatusJson.of(sources, Checks.of(sources)));
                    break;
                case "/":
                    send(response, callback, 200, "text/plain", "handler registry admin front: " + PATHS + "\n");
                    break;
                default:
                    send(response, callback, 404, "text/plain", "no such path: " + path + "; the paths are " + PATHS
                            + "\n");
            }
            return true;
        }

        private void metrics(Request request, Response response, Callback callback) throws IOException {
            ExpositionFormatWriter writer = formats.findWriter(request.getHeaders().get(HttpHeader.ACCEPT));
            if (!writer.isAvailable()) {
                writer = formats.getPrometheusTextFormatWriter(); // protobuf asked for, not installed
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream(16_384);
            writer.write(body, scrape(jvmMetrics));
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, writer.getContentType());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.size());
            response.write(true, ByteBuffer.wrap(body.toByteArray()), callback);
        }

        private void health(boolean liveness, boolean verbose, Response response, Callback callback) {
            Health health = Checks.of(sources);
            boolean ok = liveness ? health.live() : health.ready();
            StringBuilder text = new StringBuilder(ok ? "ok\n" : "not " + (liveness ? "live" : "ready") + "\n");
            String tag = liveness ? "live" : "ready";
            for (Check c : health.checks()) {
                if (!c.tags().contains(tag) && !(verbose && c.tags().isEmpty())) {
                    continue;
                }
                if (verbose || !c.ok()) {
                    text.append(c.ok() ? "[+] " : "[-] ").append(c.name()).append(": ").append(c.detail())
                            .append('\n');
                }
            }
            send(response, callback, ok ? 200 : 503, "text/plain", text.toString());
        }

        private void send(Response response, Callback callback, int status, String type, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + "; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }
}
