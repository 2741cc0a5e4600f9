package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Many replaces through the deploy folder of the real container: a copy of the distribution (poll
 * every 100 ms) runs without a console, and greeting v1 and v2 are renamed over deploy/greeting.jar
 * in turn, each time until the log says the replaced bundle was uninstalled. The container's live
 * heap (a full GC by {@code jcmd GC.class_histogram}), its loaded classes and threads are read after
 * as many warm-up replaces and again at the end: what replaced versions leave behind shows as growth.
 */
public final class DeploySoak {
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)");
    private static final Pattern COUNTER = Pattern.compile("(?m)^(java\\.cls\\.loadedClasses|java\\.cls\\.unloadedClasses"
            + "|java\\.threads\\.live)=(\\d+)");

    private DeploySoak() {
    }

    /**
     * @param distribution the built container (copied, not changed)
     * @param testBundles  the folder with handler-greeting-v1.jar and -v2.jar
     */
    public static Map<String, String> measure(Path distribution, Path testBundles, int replaces)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("deploy-soak-");
        Path home = work.resolve("handler-registry");
        copyTree(distribution, home);
        Path config = home.resolve("conf/io.handlerregistry.deploy.cfg");
        Files.writeString(config, Files.readString(config).replaceAll("(?m)^poll\\.ms=.*$", "poll.ms=100"));
        Path log = work.resolve("container.log");
        ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/handler-registry").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process container = builder.start();
        try {
            awaitLog(log, "deploy/greeting.jar: started", 1, container);
            Path[] versions = {testBundles.resolve("handler-greeting-v1.jar"), testBundles.resolve("handler-greeting-v2.jar")};
            Path file = home.resolve("deploy/greeting.jar");
            int done = 0;
            for (int i = 0; i < replaces; i++) {
                replace(versions[++done % 2], file);
                awaitLog(log, "uninstalled io.handlerregistry.handler.greeting", done, container);
            }
            Map<String, String> m = new LinkedHashMap<>();
            read(container.pid(), "before", m);
            long start = System.nanoTime();
            for (int i = 0; i < replaces; i++) {
                replace(versions[++done % 2], file);
                awaitLog(log, "uninstalled io.handlerregistry.handler.greeting", done, container);
            }
            m.put("seconds", String.valueOf((System.nanoTime() - start) / 1e9));
            read(container.pid(), "after", m);
            m.put("replaces", String.valueOf(replaces));
            return m;
        } finally {
            container.destroy(); // SIGTERM: the container stops as a service manager would stop it
            if (!container.waitFor(60, TimeUnit.SECONDS)) {
                container.destroyForcibly();
            }
            deleteTree(work);
        }
    }

    /** Live heap, classes and threads of the container's JVM, after a full GC. */
    private static void read(long pid, String when, Map<String, String> into) throws IOException, InterruptedException {
        Matcher total = TOTAL.matcher(jcmd(pid, "GC.class_histogram"));
        if (!total.find()) {
            throw new IllegalStateException("jcmd GC.class_histogram printed no total");
        }
        into.put("liveObjects." + when, total.group(1));
        into.put("liveBytes." + when, total.group(2));
        Matcher counter = COUNTER.matcher(jcmd(pid, "PerfCounter.print"));
        Map<String, Long> counters = new LinkedHashMap<>();
        while (counter.find()) {
            counters.put(counter.group(1), Long.parseLong(counter.group(2)));
        }
        into.put("classes." + when, String.valueOf(counters.get("java.cls.loadedClasses")
                - counters.get("java.cls.unloadedClasses")));
        into.put("threads." + when, String.valueOf(counters.get("java.threads.live")));
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    /** A new version into place the safe way: a hidden temporary name, then a rename over the file. */
    static void replace(Path version, Path file) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.copy(version, temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits until the log holds {@code times} lines containing {@code text}. */
    private static void awaitLog(Path log, String text, int times, Process container)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count(log, text) < times) {
            if (!container.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the container did not log '" + text + "' " + times + " times"
                        + (container.isAlive() ? " within 60 s" : ": it exited") + "; its log: " + log);
            }
            Thread.sleep(20); // a measurement, not a test: polling the container's log
        }
    }

    static long count(Path log, String text) throws IOException {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
