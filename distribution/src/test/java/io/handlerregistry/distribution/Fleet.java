package io.handlerregistry.distribution;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the fleet rollout test drives: podman, a kubelet-style volume, haproxy, wrk. */
final class Fleet {
    private Fleet() {
    }

    /** A command's exit status and output (stdout and stderr together). */
    record Result(int status, String output) {
        Result orFail(String what) {
            if (status != 0) {
                throw new IllegalStateException(what + " failed (exit " + status + "): " + output.strip());
            }
            return this;
        }
    }

    static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        }, Fleet::thread);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " took more than " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), out.join());
    }

    static void thread(Runnable task) {
        Thread t = new Thread(task, "fleet-output");
        t.setDaemon(true);
        t.start();
    }

    static String which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String d : new String[] {dir, "/usr/sbin", "/sbin"}) {
                Path p = Path.of(d, tool);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * A folder written as the kubelet writes a ConfigMap volume (pkg/volume/util/atomic_writer.go):
     * new hidden timestamped directory, {@code ..data_tmp} renamed over {@code ..data}, visible names as
     * symlinks through {@code ..data}, names that left removed, then the previous directory.
     */
    static final class KubeletVolume {
        private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss'.'");
        final Path dir;

        KubeletVolume(Path dir) throws IOException {
            this.dir = Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }

        void write(Map<String, Path> payload) throws IOException {
            Path data = dir.resolve("..data");
            String old = Files.isSymbolicLink(data) ? Files.readSymbolicLink(data).toString() : null;
            Set<String> gone = new TreeSet<>();
            try (Stream<Path> visible = Files.list(dir)) {
                visible.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("..") && !payload.containsKey(n))
                        .forEach(gone::add);
            }
            Path ts = Files.createDirectory(dir.resolve(STAMP.format(ZonedDateTime.now(ZoneOffset.UTC))
                    + Integer.toUnsignedString(ThreadLocalRandom.current().nextInt())));
            Files.setPosixFilePermissions(ts, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (var e : payload.entrySet()) {
                Path f = ts.resolve(e.getKey());
                Files.copy(e.getValue(), f);
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Path tmp = dir.resolve("..data_tmp");
            Files.createSymbolicLink(tmp, ts.getFileName());
            Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
            for (String name : payload.keySet()) {
                if (!Files.isSymbolicLink(dir.resolve(name))) {
                    Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
                }
            }
            for (String name : gone) {
                Files.delete(dir.resolve(name));
            }
            if (old != null) {
                try (Stream<Path> files = Files.walk(dir.resolve(old))) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    /** haproxy in front of the fleet: health checks on /readyz, a stats page and an admin socket. */
    static final class Haproxy implements AutoCloseable {
        final int port;
        final int statsPort;
        final Path socket;
        private final Process process;

        /** Starts it with these servers (name -> {http port, admin port}). */
        Haproxy(Path dir, Map<String, int[]> servers) throws IOException {
            port = freePort();
            statsPort = freePort();
            socket = dir.resolve("haproxy.sock");
            StringBuilder cfg = new StringBuilder("""
                    global
                        maxconn 2000
                        stats socket %s mode 600 level admin
                    defaults
                        mode http
                        timeout connect 2s
                        timeout client 30s
                        timeout server 30s
                        # no retry on another server (as a Kubernetes Service's proxy): a stopping
                        # container that refuses or drops a request shows as a failed one
                        retries 0
                    frontend fleet
                        bind 127.0.0.1:%d
                        default_backend fleet
                    listen stats
                        bind 127.0.0.1:%d
                        stats enable
                        stats uri /stats
                        stats refresh 1s
                    backend fleet
                        balance roundrobin
                        option httpchk GET /readyz
                        http-check expect status 200
                    """.formatted(socket, port, statsPort));
            servers.forEach((name, ports) -> cfg.append("    server ").append(name).append(" 127.0.0.1:")
                    .append(ports[0]).append(' ').append(checks(ports[1])).append('\n'));
            Path file = dir.resolve("haproxy.cfg");
            Files.writeString(file, cfg);
            process = new ProcessBuilder(which("haproxy"), "-db", "-f", file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        }

        static String checks(int adminPort) {
            return "check port " + adminPort + " inter 500 fall 2 rise 2";
        }

        /** A new server, checked and enabled (the runtime API: nothing restarts). */
        void add(String name, int httpPort, int adminPort) throws IOException {
            command("add server fleet/" + name + " 127.0.0.1:" + httpPort + " " + checks(adminPort));
            command("enable health fleet/" + name);
            command("enable server fleet/" + name);
        }

        /** The status haproxy gives a server of the backend (UP, DOWN, MAINT, ...), null when unknown. */
        String status(String server) throws IOException {
            String[] lines = command("show stat").split("\n");
            if (lines.length == 0 || !lines[0].startsWith("# ")) {
                return null;
            }
            List<String> header = List.of(lines[0].substring(2).split(","));
            int sv = header.indexOf("svname");
            int st = header.indexOf("status");
            for (String line : lines) {
                String[] f = line.split(",", -1);
                if (f.length > st && "fleet".equals(f[0]) && server.equals(f[sv])) {
                    return f[st];
                }
            }
            return null;
        }

        String command(String command) throws IOException {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                StringBuilder out = new StringBuilder();
                while (ch.read(buf) > 0) {
                    buf.flip();
                    out.append(StandardCharsets.UTF_8.decode(buf));
                    buf.clear();
                }
                return out.toString();
            }
        }

        boolean alive() {
            return process.isAlive();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * wrk through haproxy for as long as it runs, in back-to-back segments of a few seconds (wrk
     * reports only at its end), each tagged with the phase it ran in.
     */
    static final class Load {
        record Segment(String phase, long requests, long non2xx, long socketErrors, double p99ms, String errors) {
        }

        private final List<Segment> segments = new ArrayList<>();
        private volatile String phase = "baseline";
        private volatile boolean running = true;
        private final Thread thread;
        private volatile Exception failure;

        Load(String url, int seconds) {
            thread = new Thread(() -> {
                while (running) {
                    String tag = phase;
                    try {
                        Result r = run(seconds + 60, which("wrk"), "-t2", "-c16",
                                "-d" + seconds + "s", "--timeout", "10s", "--latency", url);
                        Segment s = parse(tag, r.output());
                        synchronized (segments) {
                            segments.add(s);
                            segments.notifyAll();
                        }
                    } catch (Exception e) {
                        failure = e;
                        return;
                    }
                }
            }, "fleet-wrk");
            thread.setDaemon(true);
            thread.start();
        }

        /** Starts a phase: returns once a segment tagged with it began (the previous phase's last one ended). */
        void phase(String name) throws InterruptedException {
            phase = name;
            synchronized (segments) {
                int seen = segments.size();
                while (segments.size() == seen && failure == null) {
                    segments.wait(1_000);
                }
            }
            if (failure != null) {
                throw new IllegalStateException("wrk failed", failure);
            }
        }

        /** Stops after the segment under way. */
        void stop() throws InterruptedException {
            running = false;
            thread.join(120_000);
        }

        List<Segment> of(String name) {
            synchronized (segments) {
                return segments.stream().filter(s -> s.phase.equals(name)).toList();
            }
        }

        static long requests(List<Segment> list) {
            return list.stream().mapToLong(Segment::requests).sum();
        }

        static long non2xx(List<Segment> list) {
            return list.stream().mapToLong(Segment::non2xx).sum();
        }

        static long socketErrors(List<Segment> list) {
            return list.stream().mapToLong(Segment::socketErrors).sum();
        }

        /** The highest p99 of the phase's segments (wrk's percentiles cannot be merged). */
        static double p99(List<Segment> list) {
            return list.stream().mapToDouble(Segment::p99ms).max().orElse(Double.NaN);
        }

        private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
        private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
        private static final Pattern SOCKET = Pattern.compile(
                "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
        private static final Pattern P99 = Pattern.compile("\\s99%\\s+([\\d.]+)(us|ms|s)\\b");

        static Segment parse(String phase, String out) {
            Matcher m = REQUESTS.matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("wrk printed no result: " + out);
            }
            long requests = Long.parseLong(m.group(1));
            Matcher n = NON2XX.matcher(out);
            long non2xx = n.find() ? Long.parseLong(n.group(1)) : 0;
            Matcher s = SOCKET.matcher(out);
            long errors = 0;
            String detail = "";
            if (s.find()) {
                for (int i = 1; i <= 4; i++) {
                    errors += Long.parseLong(s.group(i));
                }
                detail = s.group();
            }
            Matcher p = P99.matcher(out);
            double p99 = Double.NaN;
            if (p.find()) {
                double v = Double.parseDouble(p.group(1));
                p99 = switch (p.group(2)) {
                    case "us" -> v / 1000;
                    case "s" -> v * 1000;
                    default -> v;
                };
            }
            return new Segment(phase, requests, non2xx, errors, p99, detail);
        }
    }
}
