package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
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
    private static final Duration STEP = Duration.ofSeconds(30);
    /** The control sequences a terminal draws with (CSI, charset, keypad): not text. */
    private static final Pattern ESCAPE = Pattern.compile("\u001b\\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-Za-z]|\u001b[=>]");

    @TempDir
    Path work;
    private Path home;
    private Process process;
    private final StringBuffer screen = new StringBuffer(); // what the terminal showed, escapes removed

    @BeforeEach
    void install() throws IOException {
        home = Installation.copy(work);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void tabCompletesHelpAnswersCtrlCStopsABenchNotTheContainerAndTopRefreshes() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs util-linux script for a pseudo-terminal");
        // a build started with nohup, or with & from a script, ignores SIGINT, and so does every
        // process it starts: the JVM then never sees Ctrl-C (it keeps SIGINT ignored, as for nohup)
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (started with nohup or & from a"
                + " script): Ctrl-C cannot reach the container; run the build in the foreground");
        OutputStream keys = startOnATerminal();
        await().atMost(START).until(() -> screen.indexOf(PROMPT) >= 0 && screen.indexOf("serves endpoint 'greeting'") >= 0);

        // Tab completes a command name, then an endpoint id the registry knows
        int mark = type(keys, "handler:li\t");
        awaitAfter(mark, "handler:list");
        type(keys, "\r");
        awaitAfter(mark, "greeting  1.0.0");
        mark = type(keys, "handler:call gree\t");
        awaitAfter(mark, "handler:call greeting");
        type(keys, "tabbed\r");
        awaitAfter(mark, "v1 tabbed");

        // --help of a handler command is its usage, not an error
        mark = type(keys, "handler:call --help\r");
        awaitAfter(mark, "handler:call [-m method]");
        assertThat(after(mark)).contains("-H, --header <header>").doesNotContain("invalid endpoint id");

        // Ctrl-C stops a running bench, which reports what it measured; the container serves on
        mark = type(keys, "handler:bench --duration 120 greeting\r");
        awaitAfter(mark, "bench: "); // its live line
        type(keys, "\u0003");
        awaitAfter(mark, "stopped by Ctrl-C");
        assertThat(after(mark)).containsPattern("calls +\\d+ ").contains("failures 0");
        mark = type(keys, "handler:call echo still-serving\r");
        awaitAfter(mark, "still-serving");
        assertThat(after(mark)).contains("status 200 from endpoint 'echo'");

        // the live view redraws until Ctrl-C, then the prompt is back
        int top = type(keys, "handler:top --interval 0.2\r");
        await().atMost(STEP).until(() -> count(after(top), "handler:top at ") >= 3);
        assertThat(after(top)).containsPattern("greeting +1\\.0\\.0 +ACTIVE");
        type(keys, "\u0003");
        await().atMost(STEP).until(() -> {
            String shown = after(top);
            return shown.lastIndexOf(PROMPT) > shown.lastIndexOf("handler:top at ");
        });

        assertThat(screen.toString()).doesNotContain("InterruptedException", "dumb terminal");
        type(keys, "\u0004"); // Ctrl-D leaves
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits after Ctrl-D").isTrue();
        assertThat(Files.readString(home.resolve("var/history"))).contains("handler:call --help");
    }

    @Test
    void aLogLineIsWrittenAboveThePromptWhichComesBackAndWaitsWhileALiveLineRuns() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs util-linux script for a pseudo-terminal");
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (started with nohup or & from a"
                + " script): Ctrl-C cannot reach the container; run the build in the foreground");
        OutputStream keys = startOnATerminal();
        await().atMost(START).until(() -> screen.indexOf(PROMPT) >= 0
                && screen.indexOf("serves endpoint 'greeting'") >= 0);
        // the prompt comes after the start's log lines, drawn again below the last of them
        await().atMost(STEP).until(() -> screen.lastIndexOf(PROMPT) > screen.lastIndexOf("serves endpoint 'greeting'"));

        // idle at the prompt, half a command typed: a deploy's log line goes above it, the prompt and the
        // typed text are drawn again below it
        int typed = type(keys, "handler:call gree");
        awaitAfter(typed, "handler:call gree");
        drop("handler-greeting-v2", "greeting.jar");
        String started = "deploy/greeting.jar: started io.handlerregistry.handler.greeting 2.0.0";
        awaitAfter(typed, started);
        await().atMost(STEP).untilAsserted(() -> assertThat(after(typed).substring(after(typed).lastIndexOf(started)))
                .contains(PROMPT + "handler:call gree"));
        type(keys, "\t world\r");
        awaitAfter(typed, "v2 world");

        // while a bench shows its live line, log lines wait (they are in the log file), and come after it
        int bench = type(keys, "handler:bench --duration 120 greeting\r");
        awaitAfter(bench, "bench: ");
        String v1 = "deploy/greeting.jar: started io.handlerregistry.handler.greeting 1.0.0";
        Path logFile = home.resolve("var/log/handler-registry.log");
        int before = Files.exists(logFile) ? count(Files.readString(logFile), v1) : 0; // the start's
        drop("handler-greeting-v1", "greeting.jar");
        await().atMost(STEP).until(() -> Files.exists(logFile) && count(Files.readString(logFile), v1) > before
                || screen.indexOf(v1, bench) >= 0);
        int logged = screen.length();
        await().atMost(STEP).until(() -> screen.indexOf("bench: ", logged) >= 0); // the live line goes on
        assertThat(after(bench)).as("log lines while the live line runs").doesNotContain(v1);
        type(keys, "\u0003");
        awaitAfter(bench, "stopped by Ctrl-C");
        String shown = after(bench);
        assertThat(shown.indexOf(v1)).as("the waiting log line, after the live line, before the result: %s", shown)
                .isGreaterThan(shown.lastIndexOf("(Ctrl-C stops)")).isLessThan(shown.indexOf("stopped by Ctrl-C"));
        assertThat(shown).contains("failures 0");

        // handler:log shows the log file
        int log = type(keys, "handler:log -n 50\r");
        awaitAfter(log, v1);
        assertThat(after(log)).contains(started);
        type(keys, "\u0004");
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

    /** Starts bin/handler-registry on a new pseudo-terminal of 120 x 40; returns its keyboard. */
    private OutputStream startOnATerminal() throws IOException {
        String command = "stty cols 120 rows 40; exec bash " + home.resolve("bin/handler-registry");
        ProcessBuilder builder = new ProcessBuilder(List.of("script", "-qfec", command, "/dev/null"))
                .directory(work.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("TERM", "xterm-256color");
        process = builder.start();
        Thread reader = new Thread(() -> copyToScreen(process.getInputStream()), "terminal-screen");
        reader.setDaemon(true);
        reader.start();
        return process.getOutputStream();
    }

    private void copyToScreen(InputStream in) {
        byte[] buffer = new byte[8192];
        StringBuilder pending = new StringBuilder();
        try {
            for (int n; (n = in.read(buffer)) > 0;) {
                pending.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                // an escape sequence cut in two by a read waits for its end
                int cut = pending.lastIndexOf("\u001b");
                boolean cutShort = cut >= 0 && !ESCAPE.matcher(pending.substring(cut)).lookingAt()
                        && pending.length() - cut < 32;
                String whole = cutShort ? pending.substring(0, cut) : pending.toString();
                screen.append(ESCAPE.matcher(whole).replaceAll("").replace("\r", ""));
                pending.delete(0, whole.length());
            }
        } catch (IOException e) {
            // the terminal closed
        }
    }

    /** Copies one of this build's handler bundles into deploy/ the safe way: a temporary name, then rename. */
    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** Types keys; returns where the screen was, to look at what came after. */
    private int type(OutputStream keys, String text) throws IOException {
        int mark = screen.length();
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
        return mark;
    }

    private String after(int mark) {
        return screen.substring(mark);
    }

    private void awaitAfter(int mark, String text) {
        await().atMost(STEP).untilAsserted(() -> assertThat(after(mark)).as("the terminal after the keys").contains(text));
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
