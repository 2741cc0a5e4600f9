package io.handlerregistry.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Section 9: the container's HTTP front against the floors of its stack, with real clients over
 * sockets, side by side in one run. The servers, each a process of its own on 127.0.0.1:
 * <ul>
 * <li>(a) the container's front calling the example echo in-process, (b) the same with the echo in
 * process isolation ({@code isolation.endpoints=echo=process});</li>
 * <li>(c) the bare Jetty of the front's stack ({@link HttpFloor}) and (d) nginx, both answering with
 * what the front answered to the same request: status, headers (captured from (a)) and body.</li>
 * </ul>
 * wrk (HTTP/1.1) and h2load (h2c) POST 64 B and 4 KiB bodies over keep-alive connections, the
 * servers taking turns (a, c, d, b) in every cell, round after round. Then the swap run: wrk on
 * greeting while new versions are renamed over deploy/greeting.jar.
 */
final class HttpBench {
    static final List<Integer> SIZES = List.of(64, 4096);
    static final List<Integer> CONNECTIONS = List.of(16, 64, 256);
    /** The order in which the servers take turns in a cell. */
    static final List<String> ORDER = List.of("a", "c", "d", "b");
    static final Map<String, String> NAMES = Map.of("a", "(a) front → echo, in-process", "b",
            "(b) front → echo, process isolation", "c", "(c) bare Jetty", "d", "(d) nginx");
    /** Each JVM server's warm-up per protocol before the first round, in seconds (see {@link #warmUp}). */
    static final int SERVER_WARMUP_SECONDS = 30;
    private static final int WARMUP_CONNECTIONS = 64;
    /** Headers every server makes itself; the floors make them themselves too. */
    private static final Set<String> SERVER_MADE = Set.of("date", "content-length", ":status");
    private static final Pattern H2_FIELD = Pattern.compile("(?m)^\\[stream_id=1\\] (\\S+): ?(.*)$");
    private static final Pattern H2_HEADER_BYTES = Pattern.compile("(\\d+)B \\(\\d+\\) headers");
    private static final String UNINSTALLED = "uninstalled io.handlerregistry.handler.greeting";

    /** The settings of a run: how long and how many. */
    record Plan(int rounds, int serverWarmupSeconds, int warmupSeconds, int seconds, List<Integer> sizes,
            List<Integer> connections, int swapSeconds, int swapVersions) {
        /**
         * The smoke run's or the full run's; for a quick look, system properties override the full
         * run's: bench.http.rounds, bench.http.server.warmup.seconds, bench.http.seconds,
         * bench.http.sizes and bench.http.connections (comma-separated), bench.http.swap.seconds,
         * bench.http.swap.versions.
         */
        static Plan of(boolean smoke) {
            // 5 rounds: side by side, two servers' 3 s runs still differ by up to 15 % from run to run on these
            // 2 cores, and the medians of 3 rounds moved the ratios by up to 0.1 between measurements
            return smoke ? new Plan(1, 0, 0, 1, List.of(64), List.of(16), 4, 2)
                    : new Plan(Integer.getInteger("bench.http.rounds", 5),
                            Integer.getInteger("bench.http.server.warmup.seconds", SERVER_WARMUP_SECONDS), 1,
                            Integer.getInteger("bench.http.seconds", 3),
                            ints("bench.http.sizes", SIZES), ints("bench.http.connections", CONNECTIONS),
                            Integer.getInteger("bench.http.swap.seconds", 30),
                            Integer.getInteger("bench.http.swap.versions", 20));
        }

        private static List<Integer> ints(String property, List<Integer> unset) {
            String value = System.getProperty(property);
            return value == null ? unset : Arrays.stream(value.split(",")).map(v -> Integer.valueOf(v.strip())).toList();
        }
    }

    /** A cell of the tables: protocol, body size, connections. */
    record Cell(boolean h2, int size, int connections) {
    }

    /** What a server answered to the benchmark's request: status, headers in order, their bytes, the body's. */
    record Answer(int status, List<String[]> headers, int headBytes, int bodyBytes) {
        List<String> names() {
            List<String> names = new ArrayList<>();
            headers.forEach(h -> names.add(h[0].toLowerCase(Locale.ROOT)));
            return names;
        }
    }

    /** One measured run. */
    record Run(String server, Cell cell, int round, LoadClient.Result result) {
    }

    /** The swap run: without swaps, then with them. */
    record SwapRun(LoadClient.Result without, LoadClient.Result during, int versions, int swapsDuringLoad,
            List<Double> swapMillis) {
    }

    /** Everything the section reports. */
    static final class Outcome {
        final Plan plan;
        final List<String> notes = new ArrayList<>();
        final Map<String, Map<String, Answer>> answers = new LinkedHashMap<>();
        final List<Run> runs = new ArrayList<>();
        final List<String> servers = new ArrayList<>();
        String isolationWorker = "";
        SwapRun swap;
        boolean wrk;
        boolean h2load;
        /** nginx serves h2c (with its echo module). */
        boolean nginxH2;
        String tools;
        String loadBefore;
        String loadAfter;

        Outcome(Plan plan) {
            this.plan = plan;
        }
    }

    private HttpBench() {
    }

    /**
     * @param distribution the built container (copied, not changed)
     * @param testBundles  the folder with handler-greeting-v1.jar and -v2.jar
     */
    static Outcome measure(Path distribution, Path testBundles, boolean smoke) throws Exception {
        Outcome out = new Outcome(Plan.of(smoke));
        out.loadBefore = loadAverage();
        Path wrk = tool("wrk");
        Path h2load = tool("h2load");
        Path nginx = tool("nginx");
        out.wrk = wrk != null;
        out.h2load = h2load != null;
        if (wrk == null) {
            out.notes.add("wrk is not installed (Debian package `wrk`): no HTTP/1.1 runs and no swap run");
        }
        if (h2load == null) {
            out.notes.add("h2load is not installed (Debian package `nghttp2-client`): no h2c runs");
        }
        Path echoModule = nginx == null ? null : nginxEchoModule(nginx);
        if (nginx == null) {
            out.notes.add("nginx is not installed (Debian package `nginx-light`): no (d)");
        } else if (echoModule == null && h2load != null) {
            out.notes.add("nginx's echo module (ngx_http_echo_module.so, in Debian's `nginx-light`) is not installed:"
                    + " no (d) on h2c");
        }
        out.nginxH2 = echoModule != null;
        out.tools = versions(wrk, h2load, nginx);
        if (wrk == null && h2load == null) {
            out.loadAfter = loadAverage();
            return out;
        }
        Path work = Files.createTempDirectory("http-bench-");
        try {
            servers(out, distribution, nginx, echoModule, h2load, wrk, work);
            if (wrk != null) {
                out.swap = swapRun(out.plan, distribution, testBundles, wrk, work);
            }
        } finally {
            DeploySoak.deleteTree(work);
        }
        out.loadAfter = loadAverage();
        return out;
    }

    private static void servers(Outcome out, Path distribution, Path nginx, Path echoModule, Path h2load, Path wrk,
            Path work) throws Exception {
        Plan plan = out.plan;
        Map<String, BenchServer> servers = new LinkedHashMap<>();
        try {
            servers.put("a", BenchServer.container("a", NAMES.get("a"), distribution, "echo.jar", Map.of(), Map.of()));
            servers.put("b", BenchServer.container("b", NAMES.get("b"), distribution, "echo.jar",
                    Map.of("isolation.endpoints", "echo=process"), Map.of()));
            for (BenchServer s : servers.values()) {
                s.awaitLog("HTTP front listening on", 1);
                s.awaitLog("deploy/echo.jar: started", 1);
            }
            for (Integer size : plan.sizes()) {
                Files.write(body(work, size), LoadClient.postScript(size).getBytes(StandardCharsets.UTF_8));
                Files.write(work.resolve("body-" + size), BenchHandlers.body(size));
            }
            // the floors answer what the front answered: its answers to the benchmark's requests
            Map<String, Answer> front = capture(servers.get("a"), plan, h2load, work);
            Path answers = work.resolve("answers.tsv");
            Files.writeString(answers, floorAnswers(front));
            servers.put("c", BenchServer.floor("c", NAMES.get("c"), answers));
            if (nginx != null) {
                servers.put("d", BenchServer.nginx("d", NAMES.get("d"), nginx,
                        (dir, h1Port, h2Port) -> nginxConfig(dir, h1Port, h2Port, front, echoModule)));
            }
            servers.get("c").awaitLog("listening=", 1);
            if (servers.containsKey("d")) {
                servers.get("d").awaitListening();
            }
            for (String key : ORDER) {
                if (servers.containsKey(key)) {
                    out.servers.add(key);
                    out.answers.put(key, key.equals("a") ? front : capture(servers.get(key), plan,
                            key.equals("d") && !out.nginxH2 ? null : h2load, work));
                }
            }
            List<String> workers = servers.get("b").descendants();
            out.isolationWorker = workers.stream().filter(c -> c.contains("handler-worker")).findFirst().orElse("");
            if (out.isolationWorker.isEmpty()) {
                throw new IllegalStateException("(b) runs no handler-worker process: process isolation is not in"
                        + " effect (its processes: " + workers + "); its log: " + servers.get("b").log);
            }
            warmUp(servers, plan, wrk, h2load, work);
            for (int round = 1; round <= plan.rounds(); round++) {
                for (boolean h2 : new boolean[] {false, true}) {
                    if (h2 ? h2load == null : wrk == null) {
                        continue;
                    }
                    for (int size : plan.sizes()) {
                        for (int connections : plan.connections()) {
                            Cell cell = new Cell(h2, size, connections);
                            for (String key : ORDER) {
                                if (servers.containsKey(key) && !(h2 && (key.equals("b") || key.equals("d") && !out.nginxH2))) {
                                    out.runs.add(new Run(key, cell, round, load(servers.get(key), cell, plan, wrk,
                                            h2load, work)));
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            for (BenchServer s : servers.values()) {
                s.close();
            }
        }
    }

    /**
     * Before the first round, each JVM server, (a), (b) and (c), gets {@link Plan#serverWarmupSeconds}
     * of each protocol's load that it serves, not measured: its JIT compilers' time to reach a steady rate.
     * On these 2 cores, shared with the load, a fresh JVM under h2load -c64 took 20 to 40 s to get there
     * (the container longer than the bare Jetty: more code to compile), so that the first round measured
     * the compilers. nginx compiles nothing.
     */
    private static void warmUp(Map<String, BenchServer> servers, Plan plan, Path wrk, Path h2load, Path work)
            throws IOException, InterruptedException {
        if (plan.serverWarmupSeconds() <= 0) {
            return;
        }
        int size = plan.sizes().get(0);
        String path = "/echo/" + size;
        for (String key : List.of("a", "b", "c")) {
            BenchServer s = servers.get(key);
            if (wrk != null) {
                LoadClient.wrk(wrk, body(work, size), s.url(false, path), WARMUP_CONNECTIONS, plan.serverWarmupSeconds(),
                        s);
            }
            if (h2load != null && !key.equals("b")) {
                LoadClient.h2load(h2load, work.resolve("body-" + size), s.url(true, path), WARMUP_CONNECTIONS, 1,
                        plan.serverWarmupSeconds(), s, work.resolve("h2load.log"));
            }
        }
    }

    /** One run of a cell, after its warm-up (wrk: a run before; h2load: its own warm-up time). */
    private static LoadClient.Result load(BenchServer s, Cell cell, Plan plan, Path wrk, Path h2load, Path work)
            throws IOException, InterruptedException {
        String path = "/echo/" + cell.size();
        if (cell.h2()) {
            return LoadClient.h2load(h2load, work.resolve("body-" + cell.size()), s.url(true, path), cell.connections(),
                    plan.warmupSeconds(), plan.seconds(), s, work.resolve("h2load.log"));
        }
        if (plan.warmupSeconds() > 0) {
            LoadClient.wrk(wrk, body(work, cell.size()), s.url(false, path), cell.connections(), plan.warmupSeconds(), s);
        }
        return LoadClient.wrk(wrk, body(work, cell.size()), s.url(false, path), cell.connections(), plan.seconds(), s);
    }

    private static Path body(Path work, int size) {
        return work.resolve("post-" + size + ".lua");
    }

    /**
     * wrk on greeting without swaps, then for as long again while {@code swapVersions} new versions
     * (greeting v2, v1, v2, ...) are renamed over deploy/greeting.jar at even intervals, each after
     * the one before was done (its replaced bundle uninstalled). The container polls its deploy folder
     * every 100 ms.
     */
    private static SwapRun swapRun(Plan plan, Path distribution, Path testBundles, Path wrk, Path work)
            throws Exception {
        Path script = work.resolve("greeting.lua");
        Files.writeString(script, LoadClient.countingScript());
        try (BenchServer s = BenchServer.container("swap", "the swap run's container", distribution, "greeting.jar",
                Map.of(), Map.of("poll.ms", "100"))) {
            s.awaitLog("HTTP front listening on", 1);
            s.awaitLog("deploy/greeting.jar: started", 1);
            String url = s.url(false, "/greeting/hi");
            int connections = 64;
            if (plan.warmupSeconds() > 0) {
                LoadClient.wrk(wrk, script, url, connections, 2, s);
            }
            LoadClient.Result without = LoadClient.wrk(wrk, script, url, connections, plan.swapSeconds(), s);
            Path[] versions = {testBundles.resolve("handler-greeting-v1.jar"), testBundles.resolve("handler-greeting-v2.jar")};
            Path file = s.log.getParent().resolve("handler-registry/deploy/greeting.jar");
            long intervalNanos = TimeUnit.SECONDS.toNanos(plan.swapSeconds()) / (plan.swapVersions() + 1);
            List<Double> swapMillis = new ArrayList<>();
            List<Long> swapEnds = new ArrayList<>();
            long start = System.nanoTime();
            CompletableFuture<Void> swapper = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 1; i <= plan.swapVersions(); i++) {
                        long wait = start + i * intervalNanos - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        long t = System.nanoTime();
                        DeploySoak.replace(versions[i % 2], file);
                        s.awaitLog(UNINSTALLED, i);
                        long done = System.nanoTime();
                        synchronized (swapMillis) {
                            swapMillis.add((done - t) / 1e6);
                            swapEnds.add(done);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("the swap run's swaps failed", e);
                }
            });
            LoadClient.Result during = LoadClient.wrk(wrk, script, url, connections, plan.swapSeconds(), s);
            long loadEnd = System.nanoTime();
            swapper.get(120, TimeUnit.SECONDS);
            int swapsDuringLoad = (int) swapEnds.stream().filter(t -> t <= loadEnd).count();
            return new SwapRun(without, during, plan.swapVersions(), swapsDuringLoad, swapMillis);
        }
    }

    /**
     * The answers of a server to the benchmark's requests, per protocol and size ("h1 64"): for
     * HTTP/1.1 the request wrk sends (its bytes, over a socket), for h2c h2load's (h2load -v).
     */
    private static Map<String, Answer> capture(BenchServer s, Plan plan, Path h2load, Path work)
            throws IOException, InterruptedException {
        Map<String, Answer> answers = new LinkedHashMap<>();
        for (int size : plan.sizes()) {
            answers.put("h1 " + size, captureH1(s.port(false), "/echo/" + size, size));
            if (h2load != null) {
                String out = LoadClient.run(List.of(h2load.toString(), "-v", "-n1", "-c1", "-d",
                        work.resolve("body-" + size).toString(), s.url(true, "/echo/" + size)), 10);
                answers.put("h2 " + size, parseH2(out, size));
            }
        }
        return answers;
    }

    /** wrk's request (wrk.format: request line, Content-Length, Host, body) over a socket; the answer read. */
    static Answer captureH1(int port, String path, int size) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            OutputStream o = socket.getOutputStream();
            o.write(("POST " + path + " HTTP/1.1\r\nContent-Length: " + size + "\r\nHost: 127.0.0.1:" + port
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.write(BenchHandlers.body(size));
            o.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the server at port " + port + " closed before its answer's head ended: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            List<String[]> headers = new ArrayList<>();
            int length = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                String name = lines[i].substring(0, colon);
                String value = lines[i].substring(colon + 1).strip();
                headers.add(new String[] {name, value});
                if (name.equalsIgnoreCase("content-length")) {
                    length = Integer.parseInt(value);
                }
            }
            int body = in.readNBytes(length).length;
            return new Answer(status, headers, head.size(), body);
        }
    }

    private static Answer parseH2(String out, int size) {
        List<String[]> headers = new ArrayList<>();
        int status = 0;
        int length = -1;
        Matcher m = H2_FIELD.matcher(out);
        while (m.find()) {
            if (m.group(1).equals(":status")) {
                status = Integer.parseInt(m.group(2).strip());
            } else {
                headers.add(new String[] {m.group(1), m.group(2).strip()});
                if (m.group(1).equals("content-length")) {
                    length = Integer.parseInt(m.group(2).strip());
                }
            }
        }
        Matcher bytes = H2_HEADER_BYTES.matcher(out);
        if (status == 0 || !bytes.find()) {
            throw new IllegalStateException("h2load -v showed no answer:\n" + out);
        }
        return new Answer(status, headers, Integer.parseInt(bytes.group(1)), length < 0 ? size : length);
    }

    /** The lines of {@link HttpFloor}'s answers file: the front's headers but those every server makes. */
    private static String floorAnswers(Map<String, Answer> front) {
        StringBuilder text = new StringBuilder();
        front.forEach((key, answer) -> {
            String[] protocolAndSize = key.split(" ");
            for (String[] h : answer.headers()) {
                if (!SERVER_MADE.contains(h[0].toLowerCase(Locale.ROOT))) {
                    String value = switch (h[0].toLowerCase(Locale.ROOT)) {
                        case "x-request-id" -> HttpFloor.REQUEST_ID;
                        case "x-deadline" -> HttpFloor.DEADLINE;
                        default -> h[1];
                    };
                    text.append(protocolAndSize[0]).append('\t').append("/echo/").append(protocolAndSize[1])
                            .append('\t').append(h[0]).append('\t').append(value).append('\n');
                }
            }
        });
        return text.toString();
    }

    /**
     * nginx answering the front's answers, with {@code add_header} for each of its headers (values as
     * captured; see below for an empty one), no Content-Type, no access log, keep-alive connections
     * kept for as many requests as come (its default closes one after 1,000 requests), 2 worker
     * processes (one per core, as Jetty's threads have both cores). HTTP/1.1: {@code return 200} with
     * the body (nginx reads the request body off the connection and drops it). h2c, where the echo
     * module is loaded: it reads the request body and answers with it ({@code echo_read_request_body;
     * echo_request_body}, its length as a header), since with {@code return} nginx 1.22 answers before
     * the body has come and resets the stream, and h2load's runs with 4 KiB bodies then stalled.
     */
    static String nginxConfig(Path work, int h1Port, int h2Port, Map<String, Answer> front, Path echoModule) {
        StringBuilder c = new StringBuilder();
        if (echoModule != null) {
            c.append("load_module ").append(echoModule).append(";\n");
        }
        c.append("worker_processes 2;\npid ").append(work.resolve("nginx.pid")).append(";\ndaemon off;\n")
                .append("events { worker_connections 4096; }\nhttp {\n")
                .append("  access_log off;\n  server_tokens off;\n  default_type \"\";\n")
                .append("  keepalive_requests 1000000000;\n  keepalive_timeout 60s;\n")
                .append("  client_body_buffer_size 16k;\n");
        for (String temp : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            c.append("  ").append(temp).append("_temp_path ").append(work.resolve(temp)).append(";\n");
        }
        for (String protocol : echoModule != null ? List.of("h1", "h2") : List.of("h1")) {
            c.append("  server {\n    listen 127.0.0.1:").append(protocol.equals("h1") ? h1Port : h2Port)
                    .append(protocol.equals("h1") ? "" : " http2").append(";\n");
            front.forEach((key, answer) -> {
                if (key.startsWith(protocol + " ")) {
                    int size = Integer.parseInt(key.substring(3));
                    c.append("    location = /echo/").append(size).append(" {\n");
                    for (String[] h : answer.headers()) {
                        // nginx leaves out an empty value: on HTTP/1.1 a space stands for it; HTTP/2 forbids
                        // one (nghttp2 drops the stream), so there the header is left out
                        if (!SERVER_MADE.contains(h[0].toLowerCase(Locale.ROOT)) && !(h[1].isEmpty() && protocol.equals("h2"))) {
                            c.append("      add_header ").append(h[0]).append(' ')
                                    .append(nginxString(h[1].isEmpty() ? " " : h[1])).append(";\n");
                        }
                    }
                    if (protocol.equals("h1")) {
                        // nginx takes no token over 4,096 bytes: a longer body is made of variables of 2,048
                        StringBuilder body = new StringBuilder();
                        for (int at = 0, n = 0; at < size; at += 2048, n++) {
                            c.append("      set $b").append(n).append(" \"").append("x".repeat(Math.min(2048, size - at)))
                                    .append("\";\n");
                            body.append("$b").append(n);
                        }
                        c.append("      return 200 \"").append(body).append("\";\n    }\n");
                    } else {
                        c.append("      add_header content-length ").append(size).append(";\n")
                                .append("      echo_read_request_body;\n      echo_request_body;\n    }\n");
                    }
                }
            });
            c.append("  }\n");
        }
        if (echoModule == null) {
            c.append("  server {\n    listen 127.0.0.1:").append(h2Port).append(";\n  }\n"); // unused
        }
        return c.append("}\n").toString();
    }

    /** The tools' versions as they tell them, e.g. "wrk 4.1.0, h2load 1.52.0, nginx 1.22.1". */
    private static String versions(Path wrk, Path h2load, Path nginx) {
        List<String> versions = new ArrayList<>();
        Pattern version = Pattern.compile("(\\d+\\.\\d+\\.\\d+)");
        for (Path tool : new Path[] {wrk, h2load, nginx}) {
            if (tool == null) {
                continue;
            }
            String out;
            try {
                // wrk -v prints its version and usage, and exits 1
                Process p = new ProcessBuilder(tool.toString(), tool.endsWith("h2load") ? "--version" : "-v")
                        .redirectErrorStream(true).start();
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (IOException e) {
                out = "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out = "";
            }
            Matcher m = version.matcher(out);
            versions.add(tool.getFileName() + (m.find() ? " " + m.group(1) : ""));
        }
        return String.join(", ", versions);
    }

    /** Debian's nginx-light ships the echo module as a dynamic module; null if it is not there. */
    private static Path nginxEchoModule(Path nginx) {
        for (String dir : List.of("/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/local/nginx/modules")) {
            Path module = Path.of(dir, "ngx_http_echo_module.so");
            if (Files.isRegularFile(module)) {
                return module;
            }
        }
        return null;
    }

    private static String nginxString(String value) {
        if (value.contains("$") || value.contains("\\") || value.contains("\"")) {
            throw new IllegalArgumentException("a header value nginx's configuration cannot hold as is: " + value);
        }
        return "\"" + value + "\"";
    }

    /** A tool on the PATH, or in the sbin directories (nginx is in /usr/sbin); null if none. */
    static Path tool(String name) {
        List<String> dirs = new ArrayList<>(Arrays.asList(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
