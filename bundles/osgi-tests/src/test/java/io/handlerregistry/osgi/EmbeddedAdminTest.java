package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The admin front embedded as an application embeds it (features handler-registry-http and
 * handler-registry-admin), in Felix and again in Equinox (both surefire executions run it): /metrics with
 * the JVM's metrics beside the registry's, counting calls through the HTTP front; /readyz 503 from the
 * moment the HTTP front's bundle stops while a call holds it in its drain; the checks as Felix Health
 * Checks services where its API is installed; handler:health and handler:metrics in a Gogo console.
 */
class EmbeddedAdminTest {
    @TempDir
    Path storage;
    @TempDir
    Path work;

    private OsgiFramework osgi;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() throws Exception {
        if (osgi != null) {
            osgi.close();
        }
    }

    @Test
    void metricsAndReadinessEmbeddedAndReadyzTurns503BeforeTheHttpFrontDrains() throws Exception {
        List<Path> more = new ArrayList<>(GogoConsole.BUNDLES);
        more.add(OsgiFramework.BUNDLES.resolve("org.apache.felix.healthcheck.api.jar"));
        osgi = OsgiFramework.withAdmin(storage, Map.of("io.handlerregistry.http.port", "0",
                "io.handlerregistry.http.shutdown.timeout.ms", "30000", "io.handlerregistry.admin.port", "0"), more);
        osgi.installHandler("handler-echo").start();
        osgi.installHandler("handler-slow").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> osgi.registry().isLoaded("echo")
                && osgi.registry().isLoaded("slow"));
        String http = "http://127.0.0.1:" + osgi.httpPort();
        String admin = adminUrl();

        for (int i = 0; i < 2; i++) {
            assertThat(send(http + "/echo/x", "hi").statusCode()).isEqualTo(200);
        }
        String metrics = send(admin + "/metrics", null).body();
        String echoVersion = osgi.registry().handler("echo").orElseThrow().version().orElseThrow();
        assertThat(value(metrics, "handler_requests_total", "endpoint=\"echo\"", "outcome=\"ok\"",
                "version=\"" + echoVersion + "\"")).isEqualTo(2);
        assertThat(value(metrics, "handler_http_requests_total", "endpoint=\"echo\"", "code=\"200\"")).isEqualTo(2);
        assertThat(metrics).contains("jvm_threads_current ");
        promtool(metrics);
        assertThat(send(admin + "/readyz", null).statusCode()).isEqualTo(200);

        // Felix Health Checks' API is installed: the checks are HealthCheck services, tagged
        ServiceTracker<Object, Object> checks = new ServiceTracker<>(osgi.context(),
                osgi.context().createFilter("(&(objectClass=org.apache.felix.hc.api.HealthCheck)(hc.tags=handlerregistry))"),
                null);
        checks.open(true);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> checks.getServiceReferences() != null
                    && checks.getServiceReferences().length == 5);
            ServiceReference<Object> http0 = null;
            for (ServiceReference<Object> r : checks.getServiceReferences()) {
                if ("handler registry: http".equals(r.getProperty("hc.name"))) {
                    http0 = r;
                }
            }
            assertThat(http0).isNotNull();
            assertThat((String[]) http0.getProperty("hc.tags")).contains("handlerregistry", "ready");
            Object result = OsgiFramework.call(checks.getService(http0), "execute", new Class<?>[0]);
            assertThat(result.getClass().getMethod("isOk").invoke(result)).isEqualTo(true);
        } finally {
            checks.close();
        }

        // the shell shows the same
        GogoConsole console = new GogoConsole(osgi);
        assertThat(console.run("handler:health")).containsPattern("ready +yes +/readyz")
                .containsPattern("http +ok +ready +listening on http://127\\.0\\.0\\.1:");
        assertThat(console.run("handler:metrics requests_total")).containsPattern(
                "handler_requests_total +endpoint=echo outcome=ok version=" + Pattern.quote(echoVersion) + " +2");

        // a call held inside slow keeps the HTTP front draining while its bundle stops: /readyz says 503 at once
        Path gate = work.resolve("gate");
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
            try {
                return send(http + "/slow/x", "wait:" + gate);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(work.resolve("gate.inside")));
        Bundle front = bundle("io.handlerregistry.http");
        CompletableFuture<Void> stopping = OsgiFramework.stopAsync(front);
        await().atMost(Duration.ofSeconds(30)).until(() -> send(admin + "/readyz", null).statusCode() == 503);
        assertThat(stopping).as("the front is still draining").isNotDone();
        assertThat(send(admin + "/readyz?verbose", null).body()).contains("[-] http: ");
        Files.createFile(gate);
        assertThat(held.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        stopping.get(30, TimeUnit.SECONDS);
        // stopped on purpose: no HTTP front now, and ready again
        await().atMost(Duration.ofSeconds(30)).until(() -> send(admin + "/readyz", null).statusCode() == 200);
    }

    private Bundle bundle(String name) {
        for (Bundle b : osgi.context().getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new IllegalStateException("no bundle " + name);
    }

    private String adminUrl() throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(osgi.context(),
                osgi.context().createFilter("(objectClass=io.handlerregistry.admin.api.AdminFront)"), null);
        tracker.open(true);
        try {
            Object front = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertThat(front).as("the AdminFront service; bundles: %s", osgi.bundles()).isNotNull();
            await().until(() -> ((Optional<?>) OsgiFramework.call(front, "url", new Class<?>[0])).isPresent());
            return (String) ((Optional<?>) OsgiFramework.call(front, "url", new Class<?>[0])).orElseThrow();
        } finally {
            tracker.close();
        }
    }

    private HttpResponse<String> send(String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (body != null) {
            b.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double value(String text, String name, String... labels) {
        List<Double> found = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            if (List.of(labels).stream().allMatch(set::contains)) {
                found.add(Double.parseDouble(m.group(2)));
            }
        }
        assertThat(found).as("%s%s in\n%s", name, List.of(labels), text).hasSize(1);
        return found.get(0);
    }

    private static void promtool(String text) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            return;
        }
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("promtool check metrics: %s", out).isZero();
    }
}
