package io.handlerregistry.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Container start to first served call: starts the distribution's bin/handler-registry with one
 * command, {@code handler:call echo ...}, and times from process start to the line that shows the
 * answer (its shutdown is not counted). Deploy files are older than the poll interval, as after an
 * install, so the first scan deploys them at once. The class data the launcher keeps in var/cds is
 * deleted first, so the first run starts as after an install (and records it for the others).
 */
public final class StartupTime {
    private StartupTime() {
    }

    /** Milliseconds to the first served call, one per run, in the order of the runs. */
    public static List<Double> measure(Path distribution, int runs) throws IOException, InterruptedException {
        Path cds = distribution.resolve("var/cds");
        if (Files.isDirectory(cds)) {
            try (Stream<Path> files = Files.list(cds)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
        }
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            times.add(once(distribution));
        }
        return times;
    }

    private static double once(Path distribution) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", distribution.resolve("bin/handler-registry").toString(),
                "-c", "handler:call echo started").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        long start = System.nanoTime();
        Process process = builder.start();
        double millis = -1;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (millis < 0 && line.startsWith("status 200 from endpoint 'echo'")) {
                    millis = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        if (millis < 0 || process.exitValue() != 0) {
            throw new IllegalStateException("the container did not serve handler:call echo (exit "
                    + process.exitValue() + ")");
        }
        return millis;
    }
}
