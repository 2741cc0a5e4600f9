package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One HTTP server of section 9 as a process of its own, on 127.0.0.1 and free ports: the container
 * (its HTTP front), the bare Jetty ({@link HttpFloor}) or nginx. Knows its processes' CPU time.
 */
final class BenchServer implements AutoCloseable {
    final String key;
    final String name;
    final Path log;
    private final Process process;
    private final Path work;
    private final int h1Port;
    private final int h2Port;

    private BenchServer(String key, String name, Process process, Path work, Path log, int h1Port, int h2Port) {
        this.key = key;
        this.name = name;
        this.process = process;
        this.work = work;
        this.log = log;
        this.h1Port = h1Port;
        this.h2Port = h2Port;
    }

    /**
     * A copy of the container with only {@code deployed} in deploy/ and the HTTP front on a free
     * port; the rest of its configuration as shipped, except the given registry and deploy-folder
     * settings ({@code key=value}, replacing the line of that key). Started without a console; see
     * {@link #awaitLog}.
     */
    static BenchServer container(String key, String name, Path distribution, String deployed,
            Map<String, String> registrySettings, Map<String, String> deploySettings) throws IOException {
        Path work = Files.createTempDirectory("http-bench-" + key + "-");
        Path home = work.resolve("handler-registry");
        DeploySoak.copyTree(distribution, home);
        try (Stream<Path> jars = Files.list(home.resolve("deploy"))) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                if (!jar.getFileName().toString().equals(deployed)) {
                    Files.delete(jar);
                }
            }
        }
        int port = freePort();
        set(home.resolve("conf/io.handlerregistry.http.cfg"), Map.of("port", String.valueOf(port)));
        set(home.resolve("conf/io.handlerregistry.registry.cfg"), registrySettings);
        set(home.resolve("conf/io.handlerregistry.deploy.cfg"), deploySettings);
        Path log = work.resolve("container.log");
        ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/handler-registry").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("JAVA_OPTS");
        return new BenchServer(key, name, builder.start(), work, log, port, port);
    }

    /**
     * {@link HttpFloor} in a JVM of its own with the container's JVM options (bin/handler-registry:
     * native access allowed, on JDK 23+ also JNA's Unsafe use; no heap options).
     */
    static BenchServer floor(String key, String name, Path answers) throws IOException {
        Path work = Files.createTempDirectory("http-bench-" + key + "-");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), HttpFloor.class.getName(),
                String.valueOf(port), answers.toString()));
        Path log = work.resolve("floor.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        return new BenchServer(key, name, p, work, log, port, port);
    }

    /**
     * nginx as its own master process (no daemon) with {@code workers} worker processes, a
     * configuration written by {@code config} (given the work directory, the HTTP/1.1 port and the h2c
     * port: nginx serves cleartext HTTP/2 only on a listener of its own), pid file, logs and temporary
     * directories in a temporary directory; no root needed.
     */
    static BenchServer nginx(String key, String name, Path nginx, NginxConfig config) throws IOException {
        Path work = Files.createTempDirectory("http-bench-" + key + "-");
        int h1 = freePort();
        int h2 = freePort();
        Path conf = work.resolve("nginx.conf");
        Files.writeString(conf, config.write(work, h1, h2));
        Path log = work.resolve("error.log");
        Process p = new ProcessBuilder(nginx.toString(), "-p", work.toString(), "-c", conf.toString(), "-e",
                log.toString()).redirectErrorStream(true).redirectOutput(work.resolve("nginx.out").toFile()).start();
        return new BenchServer(key, name, p, work, log, h1, h2);
    }

    /** Writes an nginx configuration. */
    @FunctionalInterface
    interface NginxConfig {
        String write(Path work, int h1Port, int h2Port);
    }

    int port(boolean h2) {
        return h2 ? h2Port : h1Port;
    }

    String url(boolean h2, String path) {
        return "http://127.0.0.1:" + port(h2) + path;
    }

    /** Waits until the log has {@code times} lines containing {@code text}, up to 60 s. */
    void awaitLog(String text, int times) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(log) || DeploySoak.count(log, text) < times) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not log '" + text + "' " + times + " times"
                        + (process.isAlive() ? " within 60 s" : ": it exited") + "; its log:\n" + tail());
            }
            Thread.sleep(20); // a measurement, not a test: polling the server's log
        }
    }

    /** Waits until its ports accept connections, up to 60 s. */
    void awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int port : new int[] {h1Port, h2Port}) {
            while (true) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    break;
                } catch (IOException e) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException(name + " does not listen on port " + port
                                + (process.isAlive() ? " after 60 s" : ": it exited") + "; " + tail());
                    }
                    Thread.sleep(20);
                }
            }
        }
    }

    /**
     * CPU time (user + system, in clock ticks) of the server's process and its descendants (nginx's
     * workers, the handler-worker of process isolation), as {@code /proc/PID/stat} counts it.
     */
    long cpuTicks() {
        long ticks = ticks(process.pid());
        for (ProcessHandle child : (Iterable<ProcessHandle>) process.descendants()::iterator) {
            ticks += ticks(child.pid());
        }
        return ticks;
    }

    /** The command lines of the server's descendant processes. */
    List<String> descendants() {
        List<String> commands = new ArrayList<>();
        process.descendants().forEach(p -> commands.add(p.info().command().orElse("?")));
        return commands;
    }

    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return 0; // gone meanwhile
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops it as a service manager would (SIGTERM; killed after 60 s) and deletes its directory. */
    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        DeploySoak.deleteTree(work);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Sets {@code key=value} lines of a .cfg file: the line of that key is replaced, or one added. */
    private static void set(Path cfg, Map<String, String> settings) throws IOException {
        String text = Files.readString(cfg);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String line = e.getKey() + "=" + e.getValue();
            String replaced = text.replaceAll("(?m)^" + java.util.regex.Pattern.quote(e.getKey()) + "\\s*=.*$",
                    java.util.regex.Matcher.quoteReplacement(line));
            text = replaced.equals(text) && !text.contains(line) ? text + "\n" + line + "\n" : replaced;
        }
        Files.writeString(cfg, text);
    }
}
