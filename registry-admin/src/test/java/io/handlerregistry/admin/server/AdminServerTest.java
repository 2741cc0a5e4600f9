package io.handlerregistry.admin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.admin.api.AdminFront;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.engine.GuardSettings;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.http.server.HttpServer;
import io.handlerregistry.http.server.HttpSettings;

/**
 * The admin front on a real registry with real handlers (echo, slow, crashy in process isolation) behind a
 * real HTTP front, scraped with a real client: every /metrics is read by a strict parser of the format (and
 * checked by {@code promtool check metrics} where Prometheus' package is installed) before and after
 * calls, a crash and swaps, and the numbers asserted; /readyz, /livez and /status.
 */
class AdminServerTest {
    private static final Path NATIVE = Path.of(System.getProperty("handler.native.dir", "../registry-core/target/native"));

    @TempDir
    Path copies;
    @TempDir
    Path work;

    private final List<String> complaints = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private NativeHandlerRegistry registry;
    private HttpServer front;
    private AdminServer admin;
    private final TestSources sources = new TestSources();

    /** What the OSGi component reads from the framework, set by the test. */
    final class TestSources implements Sources {
        volatile HandlerRegistry registry;
        volatile HttpNumbers http;
        volatile String httpMissing;
        volatile List<DeployFolder> folders = List.of();
        volatile String folderStarting;
        volatile boolean stopping;

        @Override
        public HandlerRegistry registry() {
            return registry;
        }

        @Override
        public HttpNumbers http() {
            return http;
        }

        @Override
        public String httpMissing() {
            return httpMissing;
        }

        @Override
        public List<DeployFolder> deployFolders() {
            return folders;
        }

        @Override
        public String deployFolderStarting() {
            return folderStarting;
        }

        @Override
        public boolean stopping() {
            return stopping;
        }
    }

    @BeforeEach
    void start() throws Exception {
        // the guard watches greeting only, and looks often (the thresholds are not what these tests are about)
        registry = NativeHandlerRegistry.builder(NATIVE).copyDirectory(copies).guard("greeting", new GuardSettings(
                true, Duration.ofSeconds(600), 0.5, 20, Duration.ZERO, Duration.ZERO))
                .guardInterval(Duration.ofMillis(20)).build();
        registry.loadFrom("echo", NATIVE.resolve("libhandler_echo.so"));
        registry.loadFrom("crashy", NATIVE.resolve("libhandler_crashy.so"), Isolation.PROCESS);
        front = new HttpServer(registry, HttpSettings.DEFAULTS.with(Map.of("port", 0, "max.request.body.bytes", 1024),
                HttpSettings.DEFAULTS,
                complaints::add), complaints::add);
        front.start();
        sources.registry = registry;
        sources.http = new HttpFrontNumbers(front);
        admin = new AdminServer(sources, AdminSettings.DEFAULTS.with(Map.of("port", "0"), AdminSettings.DEFAULTS,
                complaints::add), complaints::add);
        admin.start();
    }

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.stop();
        }
        if (front != null) {
            front.stop();
        }
        registry.close();
    }

    @Test
    void metricsShowBothVersionsOfASplitAndCountAGuardRollback() throws Exception {
        registry.loadFrom("greeting", NATIVE.resolve("v1").resolve("libhandler_greeting.so"));
        String v1 = "gen" + registry.handler("greeting").orElseThrow().generation();
        MetricsParser.Scrape before = scrape();
        assertThat(before.value("handler_traffic_share", "endpoint", "greeting", "version", v1, "role", "only"))
                .isEqualTo(1);
        assertThat(before.value("handler_rollbacks_total", "reason", "guard")).isEqualTo(0);
        assertThat(before.value("handler_rollbacks_total", "reason", "manual")).isEqualTo(0);

        registry.split("greeting", NATIVE.resolve("v2").resolve("libhandler_greeting.so"), 20);
        String v2 = "gen" + registry.split("greeting").orElseThrow().canary().generation();
        int ok = 0;
        for (int i = 0; i < 200; i++) {
            ok += post("/greeting/x", "hi").statusCode() == 200 ? 1 : 0;
        }
        assertThat(ok).isEqualTo(200);
        MetricsParser.Scrape split = scrape();
        assertThat(split.value("handler_traffic_share", "endpoint", "greeting", "version", v1, "role", "primary"))
                .isEqualTo(0.8);
        assertThat(split.value("handler_traffic_share", "endpoint", "greeting", "version", v2, "role", "canary"))
                .isEqualTo(0.2);
        double primaryCalls = split.value("handler_requests_total", "endpoint", "greeting", "version", v1, "outcome", "ok");
        double canaryCalls = split.value("handler_requests_total", "endpoint", "greeting", "version", v2, "outcome", "ok");
        assertThat(primaryCalls + canaryCalls).isEqualTo(200);
        assertThat(canaryCalls).isBetween(10.0, 90.0); // 20 % of 200, wide bounds: the split is random per call
        assertThat(split.value("handler_version_info", "endpoint", "greeting", "version", v2, "state", "active",
                "isolation", "in-process", "source", NATIVE.resolve("v2").resolve("libhandler_greeting.so")
                        .toAbsolutePath().toString())).isEqualTo(1);
        assertThat(split.value("handler_swaps_total", "kind", "split", "result", "ok")).isEqualTo(1);
        String status = get("/status").body();
        assertThat(status).contains("\"splits\":[{\"endpoint\":\"greeting\"", "\"canaryPercent\":20.0",
                "\"canary\":true,\"trafficPercent\":20.0", "\"canary\":false,\"trafficPercent\":80.0");

        // a swap to a build that fails every call: the guard rolls it back by itself
        registry.abort("greeting");
        registry.swap("greeting", NATIVE.resolve("failing").resolve("libhandler_greeting.so"));
        String failing = "gen" + registry.handler("greeting").orElseThrow().generation();
        for (int i = 0; i < 30; i++) {
            post("/greeting/x", "hi");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> registry.activity().rollbacks().getOrDefault("guard", 0L) == 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> registry.handlers().size() == 3); // echo, crashy, greeting
        MetricsParser.Scrape rolledBack = scrape();
        assertThat(rolledBack.value("handler_rollbacks_total", "reason", "guard")).isEqualTo(1);
        assertThat(rolledBack.value("handler_rollbacks_total", "reason", "manual")).isEqualTo(0);
        assertThat(rolledBack.value("handler_swaps_total", "kind", "rollback", "result", "ok")).isEqualTo(1);
        assertThat(rolledBack.value("handler_requests_total", "endpoint", "greeting", "version", failing, "outcome",
                "handler_error")).as("the failing version is gone").isNaN();
        String serving = "gen" + registry.handler("greeting").orElseThrow().generation();
        assertThat(rolledBack.value("handler_traffic_share", "endpoint", "greeting", "version", serving, "role", "only"))
                .isEqualTo(1);
        assertThat(post("/greeting/x", "hi").body()).startsWith("v1 hi");
        assertThat(rolledBack.all("handler_traffic_share")).noneMatch(s -> s.labels().get("role").equals("canary"));
    }

    @Test
    void metricsCountCallsByOutcomeCrashesHttpAnswersAndSwapsAndOnlyLiveVersionsAppear() throws Exception {
        MetricsParser.Scrape before = scrape();
        assertThat(before.value("handler_registry_up")).isEqualTo(1);
        assertThat(before.value("handler_requests_total", "endpoint", "echo", "version", echoVersion(), "outcome", "ok"))
                .isEqualTo(0);
        assertThat(before.value("handler_versions", "state", "active")).isEqualTo(2);
        assertThat(before.value("handler_workers", "endpoint", "crashy", "version", crashyVersion())).isEqualTo(1);
        assertThat(before.all("jvm_threads_current")).as("the JVM's metrics").hasSize(1);
        double generation = before.value("handler_generation");

        for (int i = 0; i < 3; i++) {
            assertThat(post("/echo/x", "hi").statusCode()).isEqualTo(200);
        }
        assertThat(post("/echo/fail", "").statusCode()).isEqualTo(502);
        assertThat(post("/crashy/x", "segv").statusCode()).isEqualTo(502);
        assertThat(post("/nobody/x", "").statusCode()).isEqualTo(404);
        assertThat(post("/echo/x", "x".repeat(2048)).statusCode()).as("no version takes it").isEqualTo(413);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.handler("crashy").orElseThrow().workers()
                .orElseThrow().pids().size() == 1);
        assertThat(post("/crashy/x", "hello").statusCode()).isEqualTo(200);

        MetricsParser.Scrape after = scrape();
        String echo = echoVersion();
        String crashy = crashyVersion();
        assertThat(after.value("handler_requests_total", "endpoint", "echo", "version", echo, "outcome", "ok"))
                .isEqualTo(3);
        assertThat(after.value("handler_requests_total", "endpoint", "echo", "version", echo, "outcome",
                "handler_error")).isEqualTo(1);
        assertThat(after.value("handler_requests_total", "endpoint", "crashy", "version", crashy, "outcome",
                "crashed")).isEqualTo(1);
        assertThat(after.value("handler_requests_total", "endpoint", "crashy", "version", crashy, "outcome", "ok"))
                .isEqualTo(1);
        assertThat(after.value("handler_worker_crashes_total", "endpoint", "crashy", "version", crashy)).isEqualTo(1);
        assertThat(after.value("handler_worker_restarts_total", "endpoint", "crashy", "version", crashy)).isEqualTo(1);
        assertThat(after.value("handler_requests_not_found_total")).isEqualTo(1);
        assertThat(after.value("handler_http_requests_total", "endpoint", "echo", "version", echo, "code", "200"))
                .isEqualTo(3);
        assertThat(after.value("handler_http_requests_total", "endpoint", "echo", "version", echo, "code", "502"))
                .isEqualTo(1);
        assertThat(after.value("handler_http_requests_total", "endpoint", "echo", "version", "", "code", "413"))
                .isEqualTo(1);
        assertThat(after.value("handler_http_requests_total", "endpoint", "crashy", "version", crashy, "code", "502"))
                .isEqualTo(1);
        assertThat(after.value("handler_http_requests_total", "endpoint", "crashy", "version", crashy, "code", "200"))
                .isEqualTo(1);
        assertThat(after.value("handler_http_responses_total", "code", "404")).isEqualTo(1);
        assertThat(after.value("handler_http_request_duration_seconds_count", "endpoint", "echo", "version", echo))
                .isEqualTo(4);
        assertThat(after.value("handler_http_request_duration_seconds_bucket", "endpoint", "echo", "version", echo,
                "le", "+Inf")).isEqualTo(4);
        assertThat(after.value("handler_http_request_duration_seconds_count", "endpoint", "echo", "version", ""))
                .isEqualTo(1);
        assertThat(after.all("handler_http_requests_total")).as("no series for an id nobody serves")
                .noneMatch(s -> s.labels().get("endpoint").equals("nobody"));
        assertThat(after.value("handler_generation")).isEqualTo(generation);

        // a graceful swap: the old version drains and goes, its series with it; the new one starts at 0
        registry.swapGraceful("echo", NATIVE.resolve("libhandler_echo.so"), Duration.ofSeconds(10));
        MetricsParser.Scrape swapped = scrape();
        assertThat(echoVersion()).isNotEqualTo(echo);
        assertThat(swapped.value("handler_requests_total", "endpoint", "echo", "version", echo, "outcome", "ok"))
                .as("the drained version is gone").isNaN();
        assertThat(swapped.value("handler_requests_total", "endpoint", "echo", "version", echoVersion(), "outcome",
                "ok")).isEqualTo(0);
        assertThat(post("/echo/x", "hi").statusCode()).isEqualTo(200);
        MetricsParser.Scrape answered = scrape();
        assertThat(answered.value("handler_http_requests_total", "endpoint", "echo", "version", echoVersion(), "code",
                "200")).as("the new version's own answers").isEqualTo(1);
        assertThat(answered.value("handler_http_requests_total", "endpoint", "echo", "version", echo, "code", "200"))
                .as("the drained version's HTTP series are gone too").isNaN();
        assertThat(front.endpointCounters().get("echo").statuses()).as("the endpoint's total keeps them")
                .containsEntry(200, 4L).containsEntry(502, 1L).containsEntry(413, 1L);
        assertThat(swapped.value("handler_swaps_total", "kind", "graceful", "result", "ok")).isEqualTo(1);
        assertThat(swapped.value("handler_swaps_total", "kind", "load", "result", "ok")).isEqualTo(2);
        assertThat(swapped.value("handler_generation")).isEqualTo(generation + 1);
        assertThat(swapped.value("handler_drain_duration_seconds_count")).isEqualTo(1);
        assertThat(swapped.all("handler_version_info").stream().filter(s -> s.labels().get("endpoint").equals("echo")))
                .singleElement().satisfies(s -> assertThat(s.labels()).containsEntry("state", "active")
                        .containsEntry("isolation", "in-process"));
    }

    @Test
    void aDrainingVersionShowsWithItsCallsLeftUntilItIsGone() throws Exception {
        registry.loadFrom("slow", NATIVE.resolve("libhandler_slow.so"));
        String old = version("slow");
        Path gate = work.resolve("gate");
        Thread inside = new Thread(() -> post("/slow/x", "wait:" + gate));
        inside.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(work.resolve("gate.inside")));
        registry.swap("slow", NATIVE.resolve("libhandler_slow.so"));

        MetricsParser.Scrape draining = scrape();
        assertThat(draining.value("handler_versions", "state", "draining")).isEqualTo(1);
        assertThat(draining.value("handler_draining_calls")).isEqualTo(1);
        assertThat(draining.value("handler_in_flight", "endpoint", "slow", "version", old)).isEqualTo(1);
        assertThat(draining.all("handler_version_info")).anySatisfy(s -> assertThat(s.labels())
                .containsEntry("version", old).containsEntry("state", "draining"));

        Files.createFile(gate);
        inside.join(TimeUnit.SECONDS.toMillis(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.handlers().size() == 3);
        MetricsParser.Scrape drained = scrape();
        assertThat(drained.value("handler_versions", "state", "draining")).isEqualTo(0);
        assertThat(drained.value("handler_in_flight", "endpoint", "slow", "version", old)).isNaN();
        assertThat(drained.value("handler_drain_duration_seconds_count")).isEqualTo(1);
    }

    @Test
    void openMetricsWhenTheAcceptHeaderAsksForIt() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(adminUri("/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/openmetrics-text"));
        MetricsParser.Scrape s = MetricsParser.parse(r.body(), true);
        assertThat(s.types()).containsEntry("handler_requests", "counter").containsEntry("handler_version", "info");
        // (promtool check metrics reads the Prometheus text format only)
    }

    @Test
    void readyWhileAllChecksPassAndNotReadyWhileAFileIsPendingOrTheContainerStops() throws Exception {
        assertThat(get("/livez").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/readyz?verbose");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ok\n").contains("[+] registry").contains("[+] http: listening on http://");

        DeployFolder folder = folder(new DeployFolder.Deployment("greeting.jar", DeployFolder.State.PENDING, -1,
                "changing"));
        sources.folders = List.of(folder);
        HttpResponse<String> pending = get("/readyz");
        assertThat(pending.statusCode()).isEqualTo(503);
        assertThat(pending.body()).contains("[-] deploy: " + work.resolve("greeting.jar") + " is pending");
        assertThat(scrape().value("handler_deploy_files", "state", "pending")).isEqualTo(1);
        sources.folders = List.of(folder(new DeployFolder.Deployment("greeting.jar", DeployFolder.State.SERVING, 7,
                "greeting 1.0.0")));
        assertThat(get("/readyz").statusCode()).isEqualTo(200);

        sources.folderStarting = "the deploy folder x is deploying the files it held at start";
        assertThat(get("/readyz").body()).contains("deploying the files it held at start");
        sources.folderStarting = null;

        sources.stopping = true;
        HttpResponse<String> stopping = get("/readyz?verbose");
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.body()).contains("[-] stopping");
        assertThat(get("/livez").statusCode()).as("still live").isEqualTo(200);
        sources.stopping = false;

        sources.http = null;
        sources.httpMissing = "the HTTP front (bundle io.handlerregistry.http) is installed but not serving";
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
        sources.httpMissing = null;

        sources.registry = null;
        assertThat(get("/livez").statusCode()).isEqualTo(503);
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
        assertThat(scrape().value("handler_registry_up")).isEqualTo(0);
    }

    @Test
    void statusIsJsonWithVersionsFilesAndTheGeneration() throws Exception {
        HttpResponse<String> r = get("/status");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        long generation = registry.activity().generation();
        assertThat(r.body()).contains("\"generation\":" + generation)
                .contains("\"endpoints\":[\"crashy\",\"echo\"]")
                .contains("\"endpoint\":\"crashy\",\"version\":\"" + crashyVersion() + "\"")
                .contains("\"state\":\"ACTIVE\",\"isolation\":\"process\"")
                .contains("\"ready\":true");
        registry.swap("echo", NATIVE.resolve("libhandler_echo.so"));
        assertThat(get("/status").body()).contains("\"generation\":" + (generation + 1));
    }

    @Test
    void theFrontIsReadOnlyAndNamesItsPaths() throws Exception {
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(adminUri("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        HttpResponse<String> unknown = get("/nothing");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("/metrics").contains("/readyz");
    }

    @Test
    void theShellSeesTheSameNumbers() throws Exception {
        post("/echo/x", "hi");
        post("/echo/x", "x".repeat(2048)); // 413: no version took it
        List<AdminFront.Family> families = admin.metrics(false);
        assertThat(families).extracting(AdminFront.Family::name).contains("handler_requests", "handler_http_requests")
                .noneMatch(n -> n.startsWith("jvm_"));
        AdminFront.Family requests = families.stream().filter(f -> f.name().equals("handler_requests")).findFirst()
                .orElseThrow();
        assertThat(requests.type()).isEqualTo("counter");
        assertThat(requests.samples()).anySatisfy(s -> {
            assertThat(s.name()).isEqualTo("handler_requests_total");
            assertThat(s.labels()).containsEntry("endpoint", "echo").containsEntry("outcome", "ok");
            assertThat(s.value()).isEqualTo(1);
        });
        AdminFront.Family http = families.stream().filter(f -> f.name().equals("handler_http_requests")).findFirst()
                .orElseThrow();
        assertThat(http.samples()).extracting(AdminFront.Sample::labels).as("an empty label is none, as to Prometheus")
                .containsExactlyInAnyOrder(Map.of("endpoint", "echo", "version", echoVersion(), "code", "200"),
                        Map.of("endpoint", "echo", "code", "413"));
    }

    /**
     * A failed file does not make the container unready, and the check says what the deploy folder says of it,
     * nothing more: seen by hand, an unresolvable bundle for a new endpoint read "endpoint 'unres' is not served);
     * what served before serves on", though nothing had served it.
     */
    @Test
    void aFailedFileIsReportedAsTheDeployFolderDescribesIt() throws Exception {
        sources.folders = List.of(folder(
                new DeployFolder.Deployment("unres.jar", DeployFolder.State.FAILED, -1,
                        "Unable to resolve unres [44]; endpoint 'unres' is not served"),
                new DeployFolder.Deployment("greeting.jar", DeployFolder.State.SERVING, 7, "greeting 1.0.0")));
        HttpResponse<String> ready = get("/readyz?verbose");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("[+] deploy: 2 files settled; " + work.resolve("unres.jar")
                + " failed (Unable to resolve unres [44]; endpoint 'unres' is not served)\n")
                .doesNotContain("what served before serves on");
    }

    @Test
    void aWrongSettingIsOneLineAndThePreviousValueStays() {
        AdminSettings s = AdminSettings.DEFAULTS.with(Map.of("port", "70000", "host", " ", "jvm.metrics", "yes",
                "colour", "red"), AdminSettings.DEFAULTS, complaints::add);
        assertThat(s).isEqualTo(AdminSettings.DEFAULTS);
        assertThat(complaints).hasSize(4).anySatisfy(l -> assertThat(l).contains("port = '70000'")
                .contains("io.handlerregistry.admin")).anySatisfy(l -> assertThat(l).contains("'colour' is no setting"));
    }

    private DeployFolder folder(DeployFolder.Deployment... files) {
        return new DeployFolder() {
            @Override
            public Path directory() {
                return work;
            }

            @Override
            public List<Deployment> deployments() {
                return List.of(files);
            }
        };
    }

    private String echoVersion() {
        return version("echo");
    }

    private String crashyVersion() {
        return version("crashy");
    }

    private String version(String endpoint) {
        return "gen" + registry.handler(endpoint).orElseThrow().generation();
    }

    /** /metrics in the Prometheus text format, parsed strictly, and promtool's opinion where it is installed. */
    private MetricsParser.Scrape scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/plain; version=0.0.4"));
        promtool(r.body());
        return MetricsParser.parse(r.body(), false);
    }

    /** {@code promtool check metrics} where Debian's prometheus package is installed (.ci/run installs it). */
    private void promtool(String text) throws IOException, InterruptedException {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            return;
        }
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("promtool check metrics: %s", out).isEqualTo(0);
        // lint notes (e.g. about counters without _total in JVM metrics) are printed but are not errors
        List<String> errors = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.contains("error")) {
                errors.add(line);
            }
        }
        assertThat(errors).isEmpty();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(adminUri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(front.listeners().get(0).url() + path))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + admin.port() + path);
    }
}
