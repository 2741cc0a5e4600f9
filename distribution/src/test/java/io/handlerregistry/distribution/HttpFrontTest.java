package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container's HTTP front, from outside, as README shows it: curl reaches the examples (HTTP/1.1
 * and h2c), new versions copied into deploy/ take over under continuous HTTP load with no error
 * answer and no connection error, handler:http shows it, and SIGTERM stops it under load without
 * losing a request it took in.
 */
class HttpFrontTest {
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));

    @TempDir
    Path work;
    private Path home;
    private int port;
    private Process container;

    @BeforeEach
    void install() throws IOException {
        home = Installation.copy(work);
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Installation.httpPort(home, port);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (container != null && container.isAlive()) {
            container.destroyForcibly();
            container.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void curlReachesTheExamplesOverHttp11AndH2cAndErrorsAreProblemJson() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "needs curl");
        startWithoutConsole();
        String hello = curl("-s", "-i", "-d", "hello", url("/echo/hello"));
        assertThat(hello).startsWith("HTTP/1.1 200").contains("x-path: /hello").containsPattern("(?i)x-request-id: \\d+")
                .endsWith("\r\n\r\nhello");
        assertThat(curl("-s", "-i", "--http2-prior-knowledge", "-d", "world", url("/greeting/hi"))).startsWith("HTTP/2 200")
                .endsWith("v1 world (call 1)");
        assertThat(curl("-s", "-i", "--http2", url("/echo/up"))).contains("HTTP/2 200"); // h2c upgrade
        assertThat(curl("-s", "-i", url("/nosuch/x"))).startsWith("HTTP/1.1 404")
                .contains("Content-Type: application/problem+json")
                .contains("\"detail\":\"no handler is loaded for endpoint 'nosuch'");
    }

    @Test
    void newVersionsCopiedIntoDeployTakeOverUnderHttpLoadWithoutAnErrorOrAFailedConnection() throws Exception {
        startWithoutConsole();
        HttpLoad load = new HttpLoad(port, "/greeting/hi", 3, HttpClient.Version.HTTP_1_1, 2, HttpClient.Version.HTTP_2);
        await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v1") > 1_000);
        for (int i = 0; i < 4; i++) {
            String next = i % 2 == 0 ? "v2" : "v1";
            long before = load.answers(next);
            drop("handler-greeting-" + next, "greeting.jar");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers(next) > before + 1_000);
        }
        load.stop();
        assertThat(load.failures).as("error answers and failed connections").isEmpty();
        assertThat(load.refused.sum()).isZero();
        assertThat(read(work.resolve("out.txt"))).contains("deploy/greeting.jar: started io.handlerregistry.handler"
                + ".greeting 2.0.0");
    }

    @Test
    void sigtermUnderLoadAnswersEveryRequestItTookInAndStopsListening() throws Exception {
        startWithoutConsole();
        HttpLoad load = new HttpLoad(port, "/echo/hi", 4, HttpClient.Version.HTTP_1_1, 0, null);
        await().atMost(Duration.ofSeconds(60)).until(() -> load.ok.sum() > 2_000);
        container.destroy(); // SIGTERM: the framework stops, the front stops gracefully
        assertThat(container.waitFor(60, TimeUnit.SECONDS)).as("stopped at SIGTERM").isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> load.refused.sum() > 10); // the clients tried again
        load.stop();
        assertThat(load.failures).as("requests sent and not answered, or answered with an error").isEmpty();
        String log = read(work.resolve("out.txt"));
        assertThat(log).contains("HTTP front stopped").doesNotContain("Exception");
    }

    @Test
    void handlerHttpShowsWhereTheFrontListensItsRoutesAndItsAnswers() throws Exception {
        List<String> command = List.of("bash", home.resolve("bin/handler-registry").toString(), "-c",
                "handler:call echo warm", "-c", "handler:http --interval 0");
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("out.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = read(work.resolve("out.txt"));
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("listening +http://127\\.0\\.0\\.1:" + port + " \\(http/1\\.1, h2c\\)")
                .containsPattern("route +/\\{endpoint\\}/\\* -> \\{endpoint\\}").containsPattern("requests +\\d+");
    }

    private void startWithoutConsole() throws IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/handler-registry").toString())
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("out.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        container = builder.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> read(work.resolve("out.txt"))
                .contains("HTTP front listening on 127.0.0.1:" + port) && read(work.resolve("out.txt"))
                .contains("deploy/greeting.jar: started"));
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "--max-time", "30"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
