package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container's admin front from outside, as README's Operations section shows it: /metrics (checked by
 * {@code promtool check metrics} where Debian's prometheus package is installed) counts calls through the
 * HTTP front, a worker crash of crashy (process isolation) and a new version dropped into deploy/;
 * /readyz is 503 while a file in deploy/ is still being copied, and from the start of a stop (SIGTERM)
 * before the HTTP front stops; handler:health and handler:metrics show the same.
 */
class AdminFrontTest {
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));

    @TempDir
    Path work;
    private Path home;
    private int httpPort;
    private int adminPort;
    private Process container;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void install() throws IOException {
        home = Installation.copy(work);
        httpPort = freePort();
        adminPort = freePort();
        Installation.httpPort(home, httpPort);
        Installation.adminPort(home, adminPort);
        Path http = home.resolve("conf/io.handlerregistry.http.cfg");
        // the front keeps serving 3 s after it stopped reporting ready: what a load balancer needs
        Files.writeString(http, Files.readString(http) + "\nshutdown.delay.ms=3000\n");
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (container != null && container.isAlive()) {
            container.destroyForcibly();
            container.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void metricsCountWhatHappensReadinessFollowsTheDeployFolderAndGoesFirstAtAStop() throws Exception {
        start();
        await().atMost(Duration.ofSeconds(60)).until(() -> status("/readyz") == 200);
        for (int i = 0; i < 3; i++) {
            assertThat(post(httpPort, "/echo/x", "hi").statusCode()).isEqualTo(200);
        }
        drop("handler-crashy", "crashy.jar", false);
        await().atMost(Duration.ofSeconds(60)).until(() -> post(httpPort, "/crashy/x", "hello").statusCode() == 200);
        assertThat(post(httpPort, "/crashy/x", "segv").statusCode()).isEqualTo(502);

        String metrics = metrics();
        assertThat(value(metrics, "handler_requests_total", "endpoint=\"echo\"", "outcome=\"ok\"")).isEqualTo(3);
        assertThat(value(metrics, "handler_requests_total", "endpoint=\"crashy\"", "outcome=\"crashed\"")).isEqualTo(1);
        assertThat(value(metrics, "handler_http_requests_total", "endpoint=\"echo\"", "code=\"200\"")).isEqualTo(3);
        assertThat(value(metrics, "handler_http_request_duration_seconds_count", "endpoint=\"echo\"")).isEqualTo(3);
        assertThat(value(metrics, "handler_deploy_files", "state=\"serving\"")).isEqualTo(3);
        assertThat(value(metrics, "handler_version_info", "endpoint=\"greeting\"", "version=\"1.0.0\"")).isEqualTo(1);
        assertThat(metrics).contains("jvm_memory_used_bytes");
        double generation = value(metrics, "handler_generation");

        // a new version still being copied: not ready until it is complete and deployed
        drop("handler-greeting-v2", "greeting-2.jar", true);
        await().atMost(Duration.ofSeconds(30)).until(() -> status("/readyz") == 503);
        assertThat(get("/readyz?verbose").body()).contains("[-] deploy: ").contains("greeting-2.jar is pending");
        drop("handler-greeting-v2", "greeting-2.jar", false);
        await().atMost(Duration.ofSeconds(60)).until(() -> status("/readyz") == 200);
        String after = metrics();
        assertThat(value(after, "handler_version_info", "endpoint=\"greeting\"", "version=\"2.0.0\"",
                "state=\"active\"")).isEqualTo(1);
        assertThat(value(after, "handler_generation")).isGreaterThan(generation);
        assertThat(get("/status").body()).contains("\"file\":\"greeting-2.jar\",\"state\":\"SERVING\"");

        // SIGTERM: from the start of the stop /readyz is never 200 again, and it says so before the front drains
        container.destroy();
        List<String> seen = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (container.isAlive() && System.nanoTime() < until) {
            int s = status("/readyz");
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(String.valueOf(s))) {
                seen.add(String.valueOf(s));
            }
        }
        assertThat(container.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // the JVM takes the signal a moment after destroy(): 200 until then, then 503 while the HTTP front still
        // serves (its shutdown.delay.ms), then refused; never ready again
        List<String> afterFirst = seen.subList(seen.indexOf("200") == 0 ? 1 : 0, seen.size());
        assertThat(afterFirst).as("/readyz after SIGTERM (-1: refused), in order: %s", seen).startsWith("503")
                .doesNotContain("200");
        String log = Files.readString(work.resolve("out.txt"));
        int notReady = log.indexOf("admin front: the container is stopping");
        int frontNotReady = log.indexOf("HTTP front: not ready");
        assertThat(notReady).as(log).isPositive();
        assertThat(frontNotReady).as(log).isGreaterThan(notReady);
    }

    @Test
    void handlerHealthAndHandlerMetricsShowTheChecksAndTheNumbers() throws Exception {
        List<String> command = List.of("bash", home.resolve("bin/handler-registry").toString(), "-c",
                "handler:call echo warm", "-c", "handler:health", "-c", "handler:metrics requests");
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("out.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(work.resolve("out.txt"));
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("live +yes +/livez").containsPattern("registry +ok +live, ready")
                .containsPattern("admin front +listening +- +http://127\\.0\\.0\\.1:" + adminPort + "/metrics")
                .containsPattern("handler_requests_total +endpoint=echo outcome=ok version=1\\.0\\.0 +1");
    }

    private void start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/handler-registry").toString())
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("out.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        container = builder.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> read(work.resolve("out.txt"))
                .contains("admin front: listening on http://127.0.0.1:" + adminPort));
    }

    /** /metrics in the text format, checked by promtool where it is installed. */
    private String metrics() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        Path promtool = Path.of("/usr/bin/promtool");
        if (Files.isExecutable(promtool)) {
            Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
            p.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as("promtool check metrics: %s", out).isZero();
        }
        return r.body();
    }

    /** The value of the one sample of {@code name} whose labels include all of {@code labels}. */
    private static double value(String text, String name, String... labels) {
        List<Double> found = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            if (Arrays.stream(labels).allMatch(set::contains)) {
                found.add(Double.parseDouble(m.group(2)));
            }
        }
        assertThat(found).as("%s%s in\n%s", name, Arrays.toString(labels), text).hasSize(1);
        return found.get(0);
    }

    private void drop(String bundle, String name, boolean halfOnly) throws IOException {
        byte[] jar = Files.readAllBytes(TEST_BUNDLES.resolve(bundle + ".jar"));
        if (halfOnly) {
            Files.write(home.resolve("deploy/" + name), Arrays.copyOf(jar, jar.length / 2)); // a copy under way
            return;
        }
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.write(temp, jar);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private int status(String path) {
        try {
            return get(path).statusCode();
        } catch (ConnectException e) {
            return -1;
        } catch (IOException | InterruptedException e) {
            return -2;
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
