package io.handlerregistry.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The load generators of section 9, each a process: wrk (HTTP/1.1, a Lua script makes the request
 * and prints exact counts and latency percentiles in its {@code done()}) and h2load (h2c; latencies
 * from its per-request log). Two client threads, keep-alive connections, for a fixed time; the
 * server's CPU time is read before and after.
 */
final class LoadClient {
    private static final Pattern KEY_VALUE = Pattern.compile("(?m)^([\\w.]+)=(-?[\\d.]+)$");
    private static final Pattern H2_FINISHED = Pattern.compile("finished in ([\\d.]+)(ms|s), ([\\d.]+) req/s");
    private static final Pattern H2_REQUESTS = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    /** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux everywhere that matters). */
    private static final double TICKS_PER_SECOND = clockTicks();

    /**
     * One run's outcome. Latencies in µs; {@code cpuUsPerRequest}: the server's CPU time (all its
     * processes) over the requests answered; {@code nonSuccess}: answers other than 2xx;
     * {@code socketErrors}: connect, read and write errors and timeouts (wrk), streams closed
     * without an answer, timed out ones included (h2load).
     */
    record Result(long requests, double perSecond, double p50, double p99, double p999, long nonSuccess,
            long socketErrors, double cpuUsPerRequest, Map<String, Long> counts) {
    }

    private LoadClient() {
    }

    /** The Lua script of a POST of {@code size} bytes of 'x', as every server of section 9 gets it. */
    static String postScript(int size) {
        return "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", " + size + ")\n" + DONE;
    }

    /**
     * The Lua script of the swap run: a GET that counts the answers by the greeting version that gave
     * them ("v1 ..." or "v2 ...") and those of another status.
     */
    static String countingScript() {
        return """
                local threads = {}
                function setup(thread) table.insert(threads, thread) end
                function init(args) v1 = 0; v2 = 0; other = 0 end
                function response(status, headers, body)
                  local v = body:sub(1, 3)
                  if status ~= 200 then other = other + 1
                  elseif v == "v1 " then v1 = v1 + 1
                  elseif v == "v2 " then v2 = v2 + 1
                  else other = other + 1 end
                end
                function counts()
                  local c = {v1 = 0, v2 = 0, other = 0}
                  for _, t in ipairs(threads) do
                    for k, _ in pairs(c) do c[k] = c[k] + t:get(k) end
                  end
                  io.write(string.format("count.v1=%d\\ncount.v2=%d\\ncount.other=%d\\n", c.v1, c.v2, c.other))
                end
                """ + DONE;
    }

    private static final String DONE = """
            done = function(summary, latency, requests)
              if counts then counts() end
              local e = summary.errors
              io.write(string.format("requests=%d\\nduration_us=%d\\nconnect=%d\\nread=%d\\nwrite=%d\\nstatus=%d\\ntimeout=%d\\n",
                summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
              io.write(string.format("p50=%d\\np99=%d\\np99.9=%d\\n", latency:percentile(50), latency:percentile(99),
                latency:percentile(99.9)))
            end
            """;

    /** wrk -t2 for {@code seconds} on {@code connections} connections with the script. */
    static Result wrk(Path wrk, Path script, String url, int connections, int seconds, BenchServer server)
            throws IOException, InterruptedException {
        List<String> command = List.of(wrk.toString(), "-t2", "-c" + connections, "-d" + seconds + "s",
                "--timeout", "10s", "-s", script.toString(), url);
        long cpu = server.cpuTicks();
        String out = run(command, seconds);
        cpu = server.cpuTicks() - cpu;
        Map<String, Double> m = keyValues(out);
        if (!m.containsKey("requests") || !m.containsKey("p99.9")) {
            throw new IllegalStateException("wrk printed no counts (" + String.join(" ", command) + "):\n" + out);
        }
        long requests = m.get("requests").longValue();
        Map<String, Long> counts = new HashMap<>();
        m.forEach((k, v) -> counts.put(k, v.longValue()));
        return new Result(requests, requests / (m.get("duration_us") / 1e6), m.get("p50"), m.get("p99"),
                m.get("p99.9"), m.get("status").longValue(), (long) (m.get("connect") + m.get("read") + m.get("write")
                        + m.get("timeout")), cpuUsPerRequest(cpu, requests), counts);
    }

    /**
     * h2load -t2 -m10 (h2c, prior knowledge) POSTing {@code body}: {@code warmupSeconds} of its own
     * warm-up (at least 1: h2load 1.52 never ends when a client connects only after the measured time
     * is over, which a cold server makes happen), then {@code seconds} measured; latencies from its
     * per-request log, which holds the measured requests only, and the server's CPU time over the
     * measured time (h2load says when it starts and ends).
     */
    static Result h2load(Path h2load, Path body, String url, int connections, int warmupSeconds, int seconds,
            BenchServer server, Path logFile) throws IOException, InterruptedException {
        Files.deleteIfExists(logFile);
        List<String> command = List.of(h2load.toString(), "-t2", "-c" + connections, "-m10",
                "--warm-up-time=" + Math.max(1, warmupSeconds), "-D", String.valueOf(seconds), "-d", body.toString(),
                "--log-file=" + logFile, url);
        long[] cpu = new long[2];
        String out = run(command, seconds + warmupSeconds, line -> {
            if (cpu[0] == 0 && line.startsWith("Main benchmark duration is started")) {
                cpu[0] = server.cpuTicks();
            } else if (cpu[1] == 0 && line.startsWith("Main benchmark duration is over")) {
                cpu[1] = server.cpuTicks();
            }
        });
        Matcher finished = H2_FINISHED.matcher(out);
        Matcher requests = H2_REQUESTS.matcher(out);
        if (!finished.find() || !requests.find() || cpu[0] == 0 || cpu[1] == 0) {
            throw new IllegalStateException("h2load printed no result (" + String.join(" ", command) + "):\n" + out);
        }
        // h2load counts a stream when it closes in the measured time (done, succeeded, failed), but its
        // status only when the status came in it: a stream answered just before the measured time and
        // closed in it is done without a status. So the counts taken at the close: errored, streams
        // closed without an answer (reset, connection lost, timed out: timeouts are in it too), and
        // failed, those plus the answers other than 2xx.
        long done = Long.parseLong(requests.group(3));
        long errored = Long.parseLong(requests.group(6));
        long nonSuccess = Long.parseLong(requests.group(5)) - errored;
        if (errored + nonSuccess > 0) {
            System.err.println("h2load saw " + errored + " streams without an answer and " + nonSuccess
                    + " answers other than 2xx (" + String.join(" ", command) + "):\n" + out);
        }
        double[] micros;
        try (Stream<String> lines = Files.lines(logFile)) {
            // status -1: a failed stream; 0: one whose answer began before the measured time
            micros = lines.map(l -> l.split("\t")).filter(c -> c.length >= 3 && Integer.parseInt(c[1]) > 0)
                    .mapToDouble(c -> Double.parseDouble(c[2])).sorted().toArray();
        }
        Files.deleteIfExists(logFile);
        return new Result(done, Double.parseDouble(finished.group(3)), percentile(micros, 50), percentile(micros, 99),
                percentile(micros, 99.9), nonSuccess, errored, cpuUsPerRequest(cpu[1] - cpu[0], done),
                Map.of("timeout", Long.parseLong(requests.group(7))));
    }

    private static double cpuUsPerRequest(long ticks, long requests) {
        return requests == 0 ? Double.NaN : ticks / TICKS_PER_SECOND * 1e6 / requests;
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private static Map<String, Double> keyValues(String out) {
        Map<String, Double> m = new HashMap<>();
        Matcher kv = KEY_VALUE.matcher(out);
        while (kv.find()) {
            m.put(kv.group(1), Double.parseDouble(kv.group(2)));
        }
        return m;
    }

    /** Runs a client to its end; its output (stdout and stderr). */
    static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        return run(command, seconds, line -> { });
    }

    /**
     * Runs a client to its end, handing each line it prints to {@code onLine} as it comes; its output.
     * A client still running 60 s after its {@code seconds} is killed, and that is an error.
     */
    static String run(List<String> command, int seconds, Consumer<String> onLine) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Boolean> killed = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(seconds + 60L, TimeUnit.SECONDS).execute(() -> {
            killed.complete(p.isAlive());
            p.destroyForcibly();
        });
        StringBuilder text = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null;) {
                onLine.accept(line);
                text.append(line).append('\n');
            }
        }
        int exit = p.waitFor();
        killed.complete(false);
        if (killed.getNow(false)) {
            throw new IllegalStateException(String.join(" ", command) + " did not end within " + (seconds + 60)
                    + " s and was killed; its output:\n" + text);
        }
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + exit + "):\n" + text);
        }
        return text.toString();
    }

    private static double clockTicks() {
        try {
            String out = run(List.of("getconf", "CLK_TCK"), 0).strip();
            return Double.parseDouble(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
