package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
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
 * Version history and rollback in the container, as an operator meets them: handler:rollback typed at
 * the prompt while HTTP clients call the endpoint through the front (no answer but 200), the deploy
 * folder's file held back while the rollback pins the endpoint (also when the same file is copied
 * again) until a new file arrives; and the history and the rollback surviving restarts.
 */
class HistoryRollbackTest {
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
    void aRollbackAtThePromptUnderHttpLoadAnswersEveryRequestAndANewFileEndsItsPin() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        home = Installation.copy(work);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Installation.httpPort(home, port);
        terminal = new PseudoTerminal("bash " + home.resolve("bin/handler-registry"), 250, work,
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        await().atMost(Duration.ofSeconds(90)).until(() -> terminal.screen().contains(PROMPT)
                && terminal.screen().contains("serves endpoint 'greeting'"));
        HttpLoad load = new HttpLoad(port, "/greeting/hi", 3, HttpClient.Version.HTTP_1_1, 2, HttpClient.Version.HTTP_2);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v1") > 1_000);
            drop("handler-greeting-v2", "greeting.jar");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v2") > 1_000);

            long v1 = load.answers("v1");
            int mark = terminal.type("handler:rollback greeting\r");
            terminal.awaitAfter(mark, "endpoint 'greeting' rolled back to #1, serving as #3 (1.0.0)");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v1") > v1 + 1_000);

            mark = terminal.type("handler:deployments --no-format\r");
            terminal.awaitAfter(mark, "endpoint 'greeting' is pinned to #3 (1.0.0) by a rollback to #1 until a new"
                    + " file for it arrives");
            mark = terminal.type("handler:history --no-format greeting\r");
            terminal.awaitAfter(mark, "serving, pinned");
            assertThat(terminal.after(mark)).contains("rolled back to #1 (as #3)", "FILE", "API",
                    "deploy/greeting.jar: io.handlerregistry.handler.greeting 2.0.0");

            // the same file copied again is no new file: the pin holds
            drop("handler-greeting-v2", "greeting.jar");
            mark = terminal.type("handler:call greeting x\r");
            terminal.awaitAfter(mark, "v1 x");

            // a new file for the endpoint ends the pin: the folder's best file serves again
            long v2 = load.answers("v2");
            drop("handler-greeting-v2", "greeting-2.jar");
            await().atMost(Duration.ofSeconds(60)).until(() -> load.answers("v2") > v2 + 1_000);
            mark = terminal.type("handler:history --no-format greeting\r");
            terminal.awaitAfter(mark, "replaced by #4: deploy/greeting-2.jar");
        } finally {
            load.stop();
        }
        assertThat(load.failures).as("answers other than 200, failed connections").isEmpty();
        assertThat(load.refused.sum()).isZero();
        terminal.type("\u0004");
        assertThat(terminal.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(terminal.screen()).doesNotContain("Exception");
    }

    @Test
    void theHistoryAndARollbackSurviveRestarts() throws Exception {
        Container container = new Container(work);
        home = container.home();
        Container.Run first = container.run("handler:call greeting hi");
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.out()).contains("v1 hi");

        container.deploy(TEST_BUNDLES.resolve("handler-greeting-v2.jar"), "greeting.jar");
        Container.Run second = container.run("handler:call greeting hi", "handler:rollback greeting",
                "handler:call greeting hi");
        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.out()).containsSubsequence("v2 hi", "rolled back to #1, serving as #3 (1.0.0)", "v1 hi");

        // deploy/greeting.jar still holds 2.0.0: the rollback beats it after a restart too
        Container.Run third = container.run("handler:call greeting hi", "handler:history --no-format greeting",
                "handler:deployments");
        assertThat(third.exit()).as(third.toString()).isZero();
        assertThat(third.out()).contains("v1 hi").containsPattern("(?m)^3\t1\\.0\\.0\tserving, pinned\tAPI\t")
                .containsPattern("(?m)^2\t2\\.0\\.0\tkept\tFILE\t.*\trolled back to #1 \\(as #3\\)")
                .containsPattern("(?m)^1\t1\\.0\\.0\tkept\tFILE\t.*\tthe registry stopped")
                .containsPattern("greeting\\.jar +STANDBY .*pinned to #3 \\(1\\.0\\.0\\) by a rollback to #1");
        assertThat(third.err()).contains("endpoint 'greeting' is served by #3 (1.0.0) again");
        try (var kept = Files.list(home.resolve("var/handler-history/greeting"))) {
            assertThat(kept.count()).isEqualTo(3); // the libraries of 1.0.0 and 2.0.0, and the history file
        }
    }

    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
