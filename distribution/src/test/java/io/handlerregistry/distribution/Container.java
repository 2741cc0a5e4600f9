package io.handlerregistry.distribution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test's own copy of the built container, run as a user scripts it: {@code bin/handler-registry -c CMD...}
 * (it starts, deploys what deploy/ holds, runs the commands, prints their results and exits).
 */
final class Container {
    private final Path work;
    private final Path home;

    /** Installs a fresh copy of the distribution under {@code work}. */
    Container(Path work) throws IOException {
        this.work = work;
        this.home = Installation.copy(work);
    }

    Path home() {
        return home;
    }

    /** Copies a handler bundle into deploy/ the safe way: a temporary name, then a rename. */
    void deploy(Path jar, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(jar, temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** Starts the container with these commands, waits for it to exit and returns what it printed. */
    Run run(String... commands) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", home.resolve("bin/handler-registry").toString()));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("JAVA_OPTS", "");
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the container did not exit within 120 s: " + Files.readString(err));
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** What one run printed, and its exit status. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }
}
