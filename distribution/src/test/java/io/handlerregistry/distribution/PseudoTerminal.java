package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A program on a pseudo-terminal (util-linux {@code script} makes one) of a given width, driven by
 * keystrokes and read back from what the terminal shows, control sequences removed.
 */
final class PseudoTerminal implements AutoCloseable {
    static final Duration STEP = Duration.ofSeconds(30);
    private static final Path SCRIPT = Path.of("/usr/bin/script");
    /** The control sequences a terminal draws with (CSI, charset, keypad): not text. */
    private static final Pattern ESCAPE = Pattern.compile("\u001b\\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-Za-z]|\u001b[=>]");

    private final Process process;
    private final OutputStream keys;
    private final StringBuffer screen = new StringBuffer();

    /** Whether {@code script} is there to make a pseudo-terminal. */
    static boolean available() {
        return Files.isExecutable(SCRIPT);
    }

    /** Starts a shell command line on a new pseudo-terminal of {@code columns} x 60 (room for help handler without a pager). */
    PseudoTerminal(String commandLine, int columns, Path directory, Map<String, String> environment) throws IOException {
        String command = "stty cols " + columns + " rows 60; exec " + commandLine;
        ProcessBuilder builder = new ProcessBuilder(List.of(SCRIPT.toString(), "-qfec", command, "/dev/null"))
                .directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        builder.environment().put("TERM", "xterm-256color");
        process = builder.start();
        keys = process.getOutputStream();
        Thread reader = new Thread(() -> copyToScreen(process.getInputStream()), "terminal-screen");
        reader.setDaemon(true);
        reader.start();
    }

    Process process() {
        return process;
    }

    /** Everything the terminal showed so far. */
    String screen() {
        return screen.toString();
    }

    /** Types keys; returns where the screen was, to look at what came after. */
    int type(String text) throws IOException {
        int mark = screen.length();
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
        return mark;
    }

    String after(int mark) {
        return screen.substring(mark);
    }

    void awaitAfter(int mark, String text) {
        await().atMost(STEP).untilAsserted(() -> assertThat(after(mark)).as("the terminal after the keys").contains(text));
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

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            try {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
