package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell as a person meets it: the real distribution started on a pseudo-terminal (util-linux
 * {@code script} makes one), driven by keystrokes (Tab, Enter, Ctrl-C, Ctrl-D) and read back from
 * what the terminal shows. And the container started without any terminal, as a service manager does.
 */
class TerminalTest {
    private static final String PROMPT = "handler-registry> ";
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration STEP = PseudoTerminal.STEP;

    @TempDir
    Path work;
    private Path home;
    private Process process;
    private PseudoTerminal terminal;

    @BeforeEach
    void install() throws IOException {
        home = Installation.copy(work);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (terminal != null) {
            terminal.close();
        }
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void tabCompletesHelpAnswersCtrlCStopsABenchNotTheContainerAndTopRefreshes() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        // a build started with nohup, or with & from a script, ignores SIGINT, and so does every
        // process it starts: the JVM then never sees Ctrl-C (it keeps SIGINT ignored, as for nohup)
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (started with nohup or & from a"
                + " script): Ctrl-C cannot reach the container; run the build in the foreground");
        startOnATerminal(120);
        await().atMost(START).until(() -> terminal.screen().contains(PROMPT) && terminal.screen().contains("serves endpoint 'greeting'"));

        // Tab completes a command name, then an endpoint id the registry knows
        int mark = type("handler:li\t");
        awaitAfter(mark, "handler:list");
        type("\r");
        awaitAfter(mark, "greeting  1.0.0");
        mark = type("handler:call gree\t");
        awaitAfter(mark, "handler:call greeting");
        type("tabbed\r");
        awaitAfter(mark, "v1 tabbed");

        // --help of a handler command is its usage, not an error
        mark = type("handler:call --help\r");
        awaitAfter(mark, "handler:call [-m method]");
        assertThat(after(mark)).contains("-H, --header <header>").doesNotContain("invalid endpoint id");

        // Ctrl-C stops a running bench, which reports what it measured; the container serves on
        mark = type("handler:bench --duration 120 greeting\r");
        awaitAfter(mark, "bench: "); // its live line
        type("\u0003");
        awaitAfter(mark, "stopped by Ctrl-C");
        assertThat(after(mark)).containsPattern("calls +\\d+ ").contains("failures 0");
        mark = type("handler:call echo still-serving\r");
        // the answer's own line, not the echo of the typed line (which holds "still-serving" at once)
        awaitAfter(mark, "status 200 from endpoint 'echo'");

        // the live view redraws until Ctrl-C, then the prompt is back
        int top = type("handler:top --interval 0.2\r");
        await().atMost(STEP).until(() -> count(after(top), "handler:top at ") >= 3);
        assertThat(after(top)).containsPattern("greeting +1\\.0\\.0 +ACTIVE");
        type("\u0003");
        await().atMost(STEP).until(() -> {
            String shown = after(top);
            return shown.lastIndexOf(PROMPT) > shown.lastIndexOf("handler:top at ");
        });

        assertThat(terminal.screen()).doesNotContain("InterruptedException", "dumb terminal");
        type("\u0004"); // Ctrl-D leaves
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits after Ctrl-D").isTrue();
        assertThat(Files.readString(home.resolve("var/history"))).contains("handler:call --help");
    }

    @Test
    void onAnEightyColumnTerminalTablesFitPipedRowsStayWholeAndABackgroundBenchReports() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        startOnATerminal(80);
        await().atMost(START).until(() -> terminal.screen().contains(PROMPT) && terminal.screen().contains("serves endpoint 'greeting'"));

        // the table fits 80 columns; its source column, too wide for them, goes under each row
        int mark = type("handler:list\r");
        awaitAfter(mark, "source: bundle io.handlerregistry.handler.greeting 1.0.0");
        String list = after(mark);
        // the table's lines (not the prompt, which JLine redraws after a mark of its own)
        assertThat(list.lines().filter(line -> !line.contains(PROMPT)))
                .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
        assertThat(list).containsPattern("(?m)^greeting +1\\.0\\.0 +ACTIVE +in-process +0 +0 +0 +0$");

        // through a pipe each row is whole, on one line, whatever the terminal's width
        mark = type("handler:list | grep greeting\r");
        awaitAfter(mark, "(service ");
        assertThat(after(mark)).containsPattern(
                "(?m)^greeting +1\\.0\\.0 +ACTIVE +in-process +0 +0 +0 +0 +bundle io\\.handlerregistry\\.handler\\.greeting 1\\.0\\.0 \\[\\d+\\] \\(service \\d+\\)$");

        // a bench in the background reports when it ends; the prompt stays usable meanwhile
        mark = type("handler:bench --duration 3 greeting &\r");
        int call = type("handler:call echo meanwhile\r");
        awaitAfter(call, "meanwhile");
        await().atMost(STEP).untilAsserted(() -> assertThat(after(call)).contains("failures 0")
                .containsPattern("calls +\\d+ ").containsPattern("answers +v1 \\d+"));
        await().atMost(STEP).untilAsserted(() -> assertThat(after(call)).containsPattern("\\[1\\] +done"));

        type("exit\r"); // as Ctrl-D
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits after 'exit'").isTrue();
    }

    @Test
    void aLogLineIsWrittenAboveThePromptWhichComesBackAndWaitsWhileALiveLineRuns() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (started with nohup or & from a"
                + " script): Ctrl-C cannot reach the container; run the build in the foreground");
        startOnATerminal(120);
        await().atMost(START).until(() -> terminal.screen().indexOf(PROMPT) >= 0
                && terminal.screen().indexOf("serves endpoint 'greeting'") >= 0);
        // the prompt comes after the start's log lines, drawn again below the last of them
        await().atMost(STEP).until(() -> terminal.screen().lastIndexOf(PROMPT) > terminal.screen().lastIndexOf("serves endpoint 'greeting'"));

        // idle at the prompt, half a command typed: a deploy's log line goes above it, the prompt and the
        // typed text are drawn again below it
        int typed = type("handler:call gree");
        awaitAfter(typed, "handler:call gree");
        drop("handler-greeting-v2", "greeting.jar");
        String started = "deploy/greeting.jar: started io.handlerregistry.handler.greeting 2.0.0";
        awaitAfter(typed, started);
        await().atMost(STEP).untilAsserted(() -> assertThat(after(typed).substring(after(typed).lastIndexOf(started)))
                .contains(PROMPT + "handler:call gree"));
        type("\t world\r");
        awaitAfter(typed, "v2 world");

        // while a bench shows its live line, log lines wait (they are in the log file), and come after it
        int bench = type("handler:bench --duration 120 greeting\r");
        awaitAfter(bench, "bench: ");
        String v1 = "deploy/greeting.jar: started io.handlerregistry.handler.greeting 1.0.0";
        Path logFile = home.resolve("var/log/handler-registry.log");
        int before = Files.exists(logFile) ? count(Files.readString(logFile), v1) : 0; // the start's
        drop("handler-greeting-v1", "greeting.jar");
        await().atMost(STEP).until(() -> Files.exists(logFile) && count(Files.readString(logFile), v1) > before
                || terminal.screen().indexOf(v1, bench) >= 0);
        int logged = terminal.screen().length();
        await().atMost(STEP).until(() -> terminal.screen().indexOf("bench: ", logged) >= 0); // the live line goes on
        assertThat(after(bench)).as("log lines while the live line runs").doesNotContain(v1);
        type("\u0003");
        awaitAfter(bench, "stopped by Ctrl-C");
        String shown = after(bench);
        assertThat(shown.indexOf(v1)).as("the waiting log line, after the live line, before the result: %s", shown)
                .isGreaterThan(shown.lastIndexOf("(Ctrl-C stops)")).isLessThan(shown.indexOf("stopped by Ctrl-C"));
        assertThat(shown).contains("failures 0");

        // handler:log shows the log file
        int log = type("handler:log -n 50\r");
        awaitAfter(log, v1);
        assertThat(after(log)).contains(started);
        type("\u0004");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits after Ctrl-D").isTrue();
    }

    @Test
    void withoutATerminalItRunsUntilASignalStopsIt() throws Exception {
        Path log = work.resolve("log.txt");
        ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/handler-registry").toString())
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())); // at its end at once
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        process = builder.start();

        await().atMost(START).until(() -> Files.readString(log).contains("serves endpoint 'greeting'"));
        assertThat(process.isAlive()).as("runs on at the end of its input: %s", Files.readString(log)).isTrue();

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stops at SIGTERM").isTrue();
        assertThat(Files.readString(log)).doesNotContain("Exception", "stopping framework", "dumb terminal");
    }

    /** Starts bin/handler-registry on a new pseudo-terminal of that many columns and 60 rows. */
    private void startOnATerminal(int columns) throws IOException {
        terminal = new PseudoTerminal("bash " + home.resolve("bin/handler-registry"), columns, work,
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        process = terminal.process();
    }

    /** Copies one of this build's handler bundles into deploy/ the safe way: a temporary name, then rename. */
    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private int type(String text) throws IOException {
        return terminal.type(text);
    }

    private String after(int mark) {
        return terminal.after(mark);
    }

    private void awaitAfter(int mark, String text) {
        terminal.awaitAfter(mark, text);
    }

    /** Whether this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status), which its children inherit. */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 1)) != 0; // SIGINT = 2
            }
        }
        return false;
    }

    private static int count(String text, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
