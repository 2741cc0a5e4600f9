package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard and canary splits in the container, as an operator meets them: with the guard on for greeting
 * (conf/io.handlerregistry.registry.cfg), a bad build dropped into deploy/ under HTTP load is rolled back by
 * itself; the clients see no answer but 200 except the 502s of the bad version's own failing calls; /metrics
 * counts the rollback; then a canary split typed at the prompt shares the calls by version, its abort
 * loses none, and the guard aborts a failing canary by itself.
 */
class GuardSplitTest {
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));
    private static final String PROMPT = "handler-registry> ";

    @TempDir
    Path work;
    private Path home;
    private PseudoTerminal terminal;

    @AfterEach
    void stop() {
        if (terminal != null) {
            terminal.close();
        }
    }

    @Test
    void aBadBuildDroppedIntoDeployRollsBackByItselfUnderHttpLoadAndASplitSharesTheCalls() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        home = Installation.copy(work);
        int port = freePort();
        int adminPort = freePort();
        Installation.httpPort(home, port);
        Installation.adminPort(home, adminPort);
        Path config = home.resolve("conf/io.handlerregistry.registry.cfg");
        Files.writeString(config, Files.readString(config).replaceAll("(?m)^guard\\.endpoints=.*$",
                "guard.endpoints=greeting min.requests=20 max.failure.ratio=0.5"));
        terminal = new PseudoTerminal("bash " + home.resolve("bin/handler-registry"), 250, work,
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        await().atMost(Duration.ofSeconds(90)).until(() -> terminal.screen().contains(PROMPT)
                && terminal.screen().contains("serves endpoint 'greeting'"));
        HttpLoad load = new HttpLoad(port, "/greeting/hi", 3, HttpClient.Version.HTTP_1_1, 1, HttpClient.Version.HTTP_2);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v1") > 1_000);

            // greeting 2.1.0 fails every call; the folder serves it (the highest version), the guard rolls it back
            drop("handler-greeting-failing", "greeting-2.1.jar");
            await().atMost(Duration.ofSeconds(60)).until(() -> !load.failures.isEmpty());
            long v1 = load.answers("v1");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v1") > v1 + 1_000);
            assertThat(terminal.screen()).contains("endpoint 'greeting': the guard rolled back #2 (2.1.0)");
            int mark = terminal.type("handler:deployments --no-format\r");
            terminal.awaitAfter(mark, "greeting-2.1.jar");
            assertThat(terminal.after(mark)).contains("pinned to #3 (1.0.0) by a rollback to #1");

            String metrics = get(adminPort, "/metrics");
            assertThat(metrics).containsPattern("(?m)^handler_rollbacks_total\\{reason=\"guard\"} 1\\.0$")
                    .containsPattern("(?m)^handler_rollbacks_total\\{reason=\"manual\"} 0\\.0$");

            // a canary split at the prompt: greeting 2.0.0's library beside 1.0.0, 20 % of the calls, then aborted
            Path v2 = library("handler-greeting-v2");
            long v2Before = load.answers("v2");
            long v1Before = load.answers("v1");
            mark = terminal.type("handler:split greeting " + v2 + " 20\r");
            terminal.awaitAfter(mark, "endpoint 'greeting' is split: 20 %");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v2") > v2Before + 500);
            mark = terminal.type("handler:split --abort greeting\r");
            terminal.awaitAfter(mark, "the canary split is aborted");
            double share = (load.answers("v2") - v2Before)
                    / (double) (load.answers("v2") - v2Before + load.answers("v1") - v1Before);
            assertThat(share).as("the canary's share of the calls").isBetween(0.05, 0.45); // 20 %: wide bounds
            metrics = get(adminPort, "/metrics");
            assertThat(metrics).contains("handler_swaps_total{kind=\"split\",result=\"ok\"} 1.0",
                    "handler_swaps_total{kind=\"abort\",result=\"ok\"} 1.0");

            // the failing 2.1.0, kept by the history, as a canary: the guard aborts it by itself
            int failedBefore = load.failures.size();
            mark = terminal.type("handler:split greeting 2.1.0 20\r");
            terminal.awaitAfter(mark, "endpoint 'greeting' is split: 20 %");
            await().atMost(Duration.ofSeconds(60)).until(() -> terminal.screen().contains(
                    "the guard aborted its canary split by itself"));
            assertThat(load.failures.size()).isGreaterThan(failedBefore);
            mark = terminal.type("handler:split greeting\r");
            terminal.awaitAfter(mark, "has no canary split");
        } finally {
            load.stop();
        }
        // only the bad version's own calls failed: 502 with its error, nothing else
        assertThat(load.failures).isNotEmpty().allSatisfy(f -> assertThat(f).startsWith("502 ")
                .contains("failed with code 5", "GREETING_FAILS"));
        assertThat(load.refused.sum()).isZero();
        String metrics = get(adminPort, "/metrics");
        assertThat(metrics).containsPattern("(?m)^handler_rollbacks_total\\{reason=\"guard\"} 2\\.0$");
        terminal.type("\u0004");
        assertThat(terminal.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(terminal.screen()).doesNotContain("Exception");
    }

    /** The library inside a handler bundle of the test's, written to a file of its own. */
    private Path library(String bundle) throws IOException {
        Path target = Files.createDirectories(work.resolve(bundle)).resolve("libhandler_greeting.so");
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(TEST_BUNDLES.resolve(bundle + ".jar").toFile())) {
            java.util.zip.ZipEntry entry = jar.stream().filter(e -> e.getName().startsWith("native/")
                    && e.getName().endsWith("/libhandler_greeting.so")).findFirst().orElseThrow();
            try (var in = jar.getInputStream(entry)) {
                Files.copy(in, target);
            }
        }
        return target;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
