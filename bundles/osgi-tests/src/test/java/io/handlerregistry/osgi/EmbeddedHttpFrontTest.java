package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.DeployFolder.State;

/**
 * The HTTP front embedded as an application embeds it (feature handler-registry-http's bundles,
 * SLF4J and SPI Fly started first), in Felix and again in Equinox (both surefire executions run it):
 * real clients (java.net.http, HTTP/1.1 and h2c) reach the endpoints, Jetty's log reaches
 * java.util.logging, and handler bundles replaced in the deploy folder under HTTP load fail no request.
 */
class EmbeddedHttpFrontTest {
    /** Jetty logs its start at INFO through SLF4J: held here so that its level stays while the test runs. */
    private static final Logger JETTY_SERVER = Logger.getLogger("org.eclipse.jetty.server.Server");

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private OsgiFramework osgi;
    private final HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

    @AfterEach
    void stop() throws Exception {
        if (osgi != null) {
            osgi.close();
        }
        JETTY_SERVER.setLevel(null);
    }

    @Test
    void realClientsReachTheEndpointsAndJettyLogsToJavaUtilLogging() throws Exception {
        JETTY_SERVER.setLevel(Level.INFO);
        try (LogLines log = LogLines.capture()) {
            osgi = OsgiFramework.withHttp(storage, Map.of("io.handlerregistry.http.port", "0"), List.of());
            osgi.installHandler("handler-echo").start();
            String base = "http://127.0.0.1:" + osgi.httpPort();
            await().until(() -> osgi.registry().isLoaded("echo"));

            for (HttpClient client : List.of(http1, h2c)) {
                HttpResponse<String> echoed = client.send(HttpRequest.newBuilder(URI.create(base + "/echo/x?q=1"))
                        .header("x-request-id", "embedded-1").POST(HttpRequest.BodyPublishers.ofString("hello"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(echoed.statusCode()).isEqualTo(200);
                assertThat(echoed.body()).isEqualTo("hello");
                assertThat(echoed.headers().firstValue("x-request-id")).hasValue("embedded-1");

                HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create(base + "/nothing/x"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(missing.statusCode()).isEqualTo(404);
                assertThat(missing.headers().firstValue("content-type")).hasValue("application/problem+json");
                assertThat(missing.body()).contains("\"endpoint\":\"nothing\"", "no handler is loaded");
            }
            assertThat(h2c.send(HttpRequest.newBuilder(URI.create(base + "/echo/")).build(),
                    HttpResponse.BodyHandlers.ofString()).version()).isEqualTo(HttpClient.Version.HTTP_2);
            // SLF4J found its java.util.logging provider through SPI Fly: Jetty's own lines are in the log
            assertThat(log.containing("Started oejs.Server")).isNotEmpty();
        }
    }

    @Test
    void handlerBundlesReplacedInTheDeployFolderUnderHttpLoadFailNoRequest() throws Exception {
        osgi = OsgiFramework.withHttp(storage, Map.of("io.handlerregistry.http.port", "0"), List.of());
        Path deploy = Files.createDirectories(work.resolve("deploy"));
        osgi.configure("io.handlerregistry.deploy", Map.of("directory", deploy.toString(), "poll.ms", 100L));
        Path file = deploy.resolve("greeting.jar");
        drop("handler-greeting-v1", file);
        String url = "http://127.0.0.1:" + osgi.httpPort() + "/greeting/hello";
        await().atMost(Duration.ofSeconds(30)).until(() -> osgi.registry().isLoaded("greeting"));

        List<ContinuousCalls> load = new ArrayList<>();
        load.add(new ContinuousCalls(2, () -> post(http1, url, "hi")));
        load.add(new ContinuousCalls(2, () -> post(h2c, url, "hi")));
        for (String next : List.of("v2", "v1", "v2", "v1", "v2", "v1")) {
            long before = answers(load, next);
            drop("handler-greeting-" + next, file);
            await().atMost(Duration.ofSeconds(30)).until(() -> answers(load, next) > before + 500);
        }
        for (ContinuousCalls calls : load) {
            assertThat(calls.stop().failures()).as("non-2xx answers and connection errors").isEmpty();
            assertThat(calls.answers("v1")).isPositive();
            assertThat(calls.answers("v2")).isPositive();
        }
        DeployFolder folder = osgi.context().getService(osgi.context().getServiceReference(DeployFolder.class));
        await().until(() -> folder.deployments().stream().allMatch(d -> d.state() == State.SERVING));
    }

    private static long answers(List<ContinuousCalls> load, String firstWord) {
        return load.stream().mapToLong(calls -> calls.answers(firstWord)).sum();
    }

    /** The body of a 2xx answer; anything else is a failure with its status and body. */
    private static String post(HttpClient client, String url, String body) {
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(response.statusCode() + " " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void drop(String bundle, Path target) throws IOException {
        OsgiFramework.drop(OsgiFramework.BUNDLES.resolve(bundle + ".jar"), target);
    }
}
