package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.distribution.Fleet.Haproxy;
import io.handlerregistry.distribution.Fleet.KubeletVolume;
import io.handlerregistry.distribution.Fleet.Load;

/**
 * The OCI image in a fleet, as README's Kubernetes section ships handlers: three containers of the
 * image (distribution/image/build.sh) behind haproxy (health checks on /readyz), wrk through haproxy
 * all along, and
 * <ol>
 * <li>a fleet hot swap: greeting v1 -> v2 written into each container's read-only deploy volume the way
 * the kubelet updates a ConfigMap volume, one container after the other, then v2 -> v1 into all at once;</li>
 * <li>a rolling replacement of the three by containers of a new image with greeting v2 baked in: each
 * new one ready and in haproxy before an old one gets SIGTERM (podman stop), which drains it;</li>
 * <li>a kill -9 of one container: its cost is printed, not asserted;</li>
 * <li>podman kube play of the kustomize base (an overlay: one replica, host ports) starts a pod that is
 * ready and serves.</li>
 * </ol>
 * No non-2xx answer and no socket error through haproxy in 1 and 2. Needs root, podman (with runc),
 * haproxy and wrk (kubectl for 4): skipped, saying which is missing, elsewhere.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetRolloutTest {
    private static final Path DIST = Path.of(System.getProperty("dist.dir", "target/handler-registry"));
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));
    private static final String RUN = "hrfleet-" + ProcessHandle.current().pid();
    private static final String IMAGE = "localhost/handler-registry:" + RUN;
    private static final String IMAGE_V2 = "localhost/handler-registry:" + RUN + "-greeting-v2";
    private static final int SEGMENT_SECONDS = 3;

    @TempDir
    static Path work;

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> started = new ArrayList<>();
    private static final Map<String, int[]> ports = new LinkedHashMap<>();
    private static final Map<String, KubeletVolume> volumes = new LinkedHashMap<>();
    private static String podman;
    private static Haproxy haproxy;
    private static Load load;
    private static final StringBuilder report = new StringBuilder();
    private static final StringBuilder table = new StringBuilder();

    @BeforeAll
    static void fleet() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("podman", "runc", "haproxy", "wrk")) {
            if (Fleet.which(tool) == null) {
                missing.add(tool);
            }
        }
        Assumptions.assumeTrue(missing.isEmpty(), "the fleet rollout needs " + missing + " (Debian: apt-get install"
                + " podman runc haproxy wrk; .ci/run installs them)");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "the fleet rollout runs podman as root");
        podman = Fleet.which("podman");
        Fleet.Result info = Fleet.run(60, podman, "info");
        Assumptions.assumeTrue(info.status() == 0, "podman does not work here: " + info.output().strip());
        removeLeftOvers();

        // the image, once per run, on the cached base (build.sh says which)
        Path build = DIST.getParent().getParent().resolve("image/build.sh");
        String built = Fleet.run(900, build.toString(), "--no-build", "--tag", IMAGE).orFail("build.sh").output();
        report.append(built.lines().filter(l -> l.startsWith("built ")).findFirst().orElse(built.strip())).append('\n');
        Path context = Files.createDirectories(work.resolve("image-v2"));
        Files.copy(TEST_BUNDLES.resolve("handler-greeting-v2.jar"), context.resolve("greeting.jar"));
        Files.writeString(context.resolve("Containerfile"), "FROM " + IMAGE
                + "\nCOPY greeting.jar /opt/handler-registry/deploy/greeting.jar\n");
        Fleet.run(300, podman, "build", "-q", "-t", IMAGE_V2, context.toString()).orFail("podman build (greeting v2)");

        // three containers, each with its deploy folder as a read-only, kubelet-written volume
        for (String name : List.of("a1", "a2", "a3")) {
            KubeletVolume volume = new KubeletVolume(work.resolve("volumes/" + name));
            volume.write(Map.of("echo.jar", bundle("echo"), "greeting.jar", bundle("greeting-v1")));
            volumes.put(name, volume);
            start(name, IMAGE, "-v", volume.dir + ":/opt/handler-registry/deploy:ro");
        }
        for (String name : ports.keySet()) {
            awaitReady(name);
        }
        haproxy = new Haproxy(work, ports);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> ports.keySet().stream().allMatch(n -> "UP".equals(status(n))));
        System.out.println("fleet: haproxy on 127.0.0.1:" + haproxy.port + ", stats http://127.0.0.1:"
                + haproxy.statsPort + "/stats");
        load = new Load("http://127.0.0.1:" + haproxy.port + "/greeting/x", SEGMENT_SECONDS);
        load.phase("baseline");
        load.phase("baseline"); // two segments before anything changes
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (load != null) {
            load.stop();
            print("baseline");
            print("swap one by one");
            print("swap all at once");
            print("rolling replacement");
            print("kill -9");
            System.out.print("fleet rollout (wrk -t2 -c16 through haproxy, " + SEGMENT_SECONDS
                    + " s segments):\n" + table + report);
        }
        if (haproxy != null) {
            haproxy.close();
        }
        if (podman != null) {
            for (String name : started) {
                Fleet.run(120, podman, "rm", "-f", "-v", "-t", "0", RUN + "-" + name);
            }
            Fleet.run(120, podman, "rmi", "-f", IMAGE_V2, IMAGE);
        }
    }

    @Test
    @Order(1)
    void aFleetHotSwapThroughKubeletWrittenVolumesLosesNoRequest() throws Exception {
        load.phase("swap one by one");
        for (String name : List.of("a1", "a2", "a3")) {
            volumes.get(name).write(Map.of("echo.jar", bundle("echo"), "greeting.jar", bundle("greeting-v2")));
            await().atMost(Duration.ofSeconds(60)).until(() -> greeting(name).startsWith("v2 "));
        }
        load.phase("swap all at once");
        for (String name : List.of("a1", "a2", "a3")) {
            volumes.get(name).write(Map.of("echo.jar", bundle("echo"), "greeting.jar", bundle("greeting-v1")));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> List.of("a1", "a2", "a3").stream()
                .allMatch(n -> greeting(n).startsWith("v1 ")));
        load.phase("between");

        for (String phase : List.of("swap one by one", "swap all at once")) {
            List<Load.Segment> s = load.of(phase);
            assertThat(Load.requests(s)).as(phase).isPositive();
            assertThat(Load.non2xx(s)).as(phase + ": non-2xx through haproxy").isZero();
            assertThat(Load.socketErrors(s)).as(phase + ": socket errors through haproxy " + s).isZero();
        }
    }

    @Test
    @Order(2)
    void aRollingReplacementByANewImageDrainsEachOldContainerAndLosesNoRequest() throws Exception {
        load.phase("rolling replacement");
        String[][] steps = {{"a1", "b1"}, {"a2", "b2"}, {"a3", "b3"}};
        for (String[] step : steps) {
            String old = step[0];
            String fresh = step[1];
            start(fresh, IMAGE_V2);
            awaitReady(fresh);
            int[] p = ports.get(fresh);
            haproxy.add(fresh, p[0], p[1]);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "UP".equals(status(fresh)));
            // SIGTERM: /readyz 503 at once, haproxy takes it out, the front serves on for shutdown.delay.ms,
            // then drains; podman stop returns when it exited
            Fleet.run(120, podman, "stop", "-t", "60", RUN + "-" + old).orFail("podman stop " + old);
            assertThat(status(old)).as(old + " in haproxy after its stop").startsWith("DOWN");
        }
        load.phase("between");

        List<Load.Segment> s = load.of("rolling replacement");
        assertThat(Load.requests(s)).isPositive();
        assertThat(Load.non2xx(s)).as("non-2xx through haproxy during the rolling replacement").isZero();
        assertThat(Load.socketErrors(s)).as("socket errors through haproxy " + s).isZero();
        for (String name : List.of("b1", "b2", "b3")) {
            String answer = greeting(name);
            report.append("  ").append(name).append(" (new image) answers: ").append(answer).append('\n');
            assertThat(answer).startsWith("v2 ");
        }
        for (String name : List.of("a1", "a2", "a3")) {
            Fleet.Result inspect = Fleet.run(60, podman, "inspect", "-f", "{{.State.ExitCode}}", RUN + "-" + name);
            report.append("  ").append(name).append(" (replaced) exited with ").append(inspect.output().strip())
                    .append('\n');
        }
        String stats = Fleet.run(60, podman, "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.CPUPerc}}",
                RUN + "-b1", RUN + "-b2", RUN + "-b3").output();
        report.append("  memory under load (podman stats):\n").append(stats.indent(4));
    }

    @Test
    @Order(3)
    void theCostOfAKill9IsMeasured() throws Exception {
        load.phase("kill -9");
        Fleet.run(60, podman, "kill", "-s", "KILL", RUN + "-b2").orFail("podman kill");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> status("b2").startsWith("DOWN"));
        load.phase("between");
        List<Load.Segment> s = load.of("kill -9");
        report.append("  kill -9 of b2 (not asserted): ").append(Load.non2xx(s)).append(" non-2xx, ")
                .append(Load.socketErrors(s)).append(" socket errors in ").append(Load.requests(s))
                .append(" requests ").append(s.stream().map(Load.Segment::errors).toList()).append('\n');
        assertThat(Load.requests(s)).isPositive();
    }

    @Test
    @Order(4)
    void podmanKubePlayOfTheManifestsStartsAPodThatIsReadyAndServes() throws Exception {
        String kubectl = Fleet.which("kubectl");
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed: the manifests cannot be rendered here");
        Path base = DIST.getParent().resolve("kubernetes");
        Path overlay = Files.createDirectories(work.resolve("overlay"));
        int http = Fleet.freePort();
        int admin = Fleet.freePort();
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namePrefix: %s-
                resources:
                  - %s
                images:
                  - name: localhost/handler-registry
                    newTag: %s
                patches:
                  - target: {kind: Deployment}
                    patch: |-
                      - {op: replace, path: /spec/replicas, value: 1}
                      - {op: add, path: /spec/template/spec/containers/0/ports/0/hostPort, value: %d}
                      - {op: add, path: /spec/template/spec/containers/0/ports/0/hostIP, value: 127.0.0.1}
                      - {op: add, path: /spec/template/spec/containers/0/ports/1/hostPort, value: %d}
                      - {op: add, path: /spec/template/spec/containers/0/ports/1/hostIP, value: 127.0.0.1}
                """.formatted(RUN, overlay.relativize(base), IMAGE.substring(IMAGE.indexOf(':') + 1), http, admin));
        String yaml = Fleet.run(120, kubectl, "kustomize", overlay.toString()).orFail("kubectl kustomize").output();
        Path manifests = work.resolve("play.yaml");
        Files.writeString(manifests, yaml);
        try {
            Fleet.run(300, podman, "kube", "play", manifests.toString()).orFail("podman kube play");
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .until(() -> get("http://127.0.0.1:" + admin + "/readyz").statusCode() == 200);
            HttpResponse<String> answer = get("http://127.0.0.1:" + http + "/greeting/x");
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).startsWith("v1 ");
            report.append("  podman kube play: pod ready, greeting answers ").append(answer.body()).append('\n');
        } finally {
            Fleet.run(300, podman, "kube", "down", manifests.toString());
            Fleet.run(60, podman, "volume", "rm", "-f", RUN + "-handler-registry-handlers");
        }
    }

    /** Containers and images of runs that were stopped before they cleaned up (their JVM is gone). */
    private static void removeLeftOvers() throws Exception {
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile("hrfleet-(\\d+)");
        String containers = Fleet.run(60, podman, "ps", "-a", "--format", "{{.Names}}").output();
        String images = Fleet.run(60, podman, "images", "--format", "{{.Repository}}:{{.Tag}}").output();
        for (String line : (containers + "\n" + images).split("\n")) {
            java.util.regex.Matcher m = ours.matcher(line);
            if (m.find() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                Fleet.run(120, podman, line.contains(":") ? "rmi" : "rm", "-f", line.strip());
            }
        }
    }

    private static void start(String name, String image, String... options) throws Exception {
        int http = Fleet.freePort();
        int admin = Fleet.freePort();
        List<String> command = new ArrayList<>(List.of(podman, "run", "-d", "--name", RUN + "-" + name, "--read-only",
                "-p", "127.0.0.1:" + http + ":8080", "-p", "127.0.0.1:" + admin + ":9090"));
        command.addAll(List.of(options));
        command.add(image);
        started.add(name);
        Fleet.run(120, command.toArray(String[]::new)).orFail("podman run " + name);
        ports.put(name, new int[] {http, admin});
    }

    private static void awaitReady(String name) {
        int admin = ports.get(name)[1];
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions()
                .until(() -> get("http://127.0.0.1:" + admin + "/readyz").statusCode() == 200);
    }

    /** What a container's own port answers for greeting, or what went wrong. */
    private static String greeting(String name) {
        try {
            return get("http://127.0.0.1:" + ports.get(name)[0] + "/greeting/x").body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    /** The status haproxy gives a server (UP, DOWN, ...), or what went wrong asking it. */
    private static String status(String server) {
        try {
            String s = haproxy.status(server);
            return s == null ? "unknown" : s;
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Path bundle(String name) {
        return TEST_BUNDLES.resolve("handler-" + name + ".jar");
    }

    private static void print(String phase) {
        List<Load.Segment> s = load.of(phase);
        if (s.isEmpty()) {
            return;
        }
        table.append(String.format("  %-20s %8d requests, %d non-2xx, %d socket errors, p99 %.1f ms (worst of %d"
                + " segments)%n", phase, Load.requests(s), Load.non2xx(s), Load.socketErrors(s), Load.p99(s),
                s.size()));
    }
}
