package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.apache.felix.service.command.Job;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRegistry;

/**
 * A command started with {@code &} shows its result (or its error) when it ends, also when it was
 * brought to the foreground meanwhile ({@code fg}); one that runs in the foreground leaves printing
 * its result to the shell.
 */
class BackgroundResultTest {
    private static final Duration STEP = Duration.ofSeconds(30);

    @TempDir
    Path work;
    private GogoShell shell;

    @BeforeEach
    void start() {
        shell = new GogoShell();
        shell.registry.loadFrom("echo", GogoShell.NATIVE.resolve(HandlerRegistry.libraryFileName("echo")));
        shell.registry.loadFrom("slow", GogoShell.NATIVE.resolve("v1").resolve(HandlerRegistry.libraryFileName("slow")));
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void aBenchInTheBackgroundPrintsItsReportWhenItEnds() throws Exception {
        assertThat(shell.execute("handler:bench --threads 1 --calls 500 echo &")).isNull();

        await().atMost(STEP).untilAsserted(() -> assertThat(shell.output())
                .contains("endpoint  echo: 1 threads").containsPattern("calls +500 ").contains("failures 0"));
    }

    @Test
    void aJobBroughtToTheForegroundPrintsItsResultWhenItEnds() throws Exception {
        Path release = work.resolve("release");
        shell.execute("handler:call slow wait:" + release + " &");
        await().atMost(STEP).until(() -> Files.exists(Path.of(release + ".inside")));

        Job job = shell.session.jobs().get(0);
        job.foreground(); // what fg does
        Files.createFile(release);

        await().atMost(STEP).untilAsserted(() -> assertThat(shell.output()).contains("status 200 from endpoint 'slow'"));
        assertThat(shell.output()).containsOnlyOnce("status 200");
    }

    @Test
    void anErrorInTheBackgroundIsShownToo() throws Exception {
        shell.execute("handler:call -t x echo hi &");

        await().atMost(STEP).untilAsserted(() -> assertThat(shell.output())
                .contains("handler:call: -t/--timeout is 'x'"));
    }

    @Test
    void inTheForegroundTheShellPrintsTheResultAndTheCommandDoesNot() throws Exception {
        assertThat(shell.run("handler:call echo hi")).contains("status 200 from endpoint 'echo'");
        assertThat(shell.run("handler:list")).contains("echo");
        assertThat(shell.output()).isEmpty();
    }
}
