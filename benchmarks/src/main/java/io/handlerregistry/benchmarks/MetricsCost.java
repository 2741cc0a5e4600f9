package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.admin.server.AdminServer;
import io.handlerregistry.admin.server.AdminSettings;
import io.handlerregistry.admin.server.HttpFrontNumbers;
import io.handlerregistry.admin.server.HttpNumbers;
import io.handlerregistry.admin.server.Sources;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.http.server.HttpServer;
import io.handlerregistry.http.server.HttpSettings;

/**
 * What metrics cost (section 10), in one JVM, each comparison interleaved:
 * <ul>
 * <li>{@code call}: 64 B in-process echo calls through {@code NativeHandlerRegistry.execute}, with the admin
 * front scraped 10 times a second by another thread (on) and not (off); rounds as in {@link Rounds}. The
 * counters /metrics reads are kept by the call path in both (they are part of it: failures only, and the
 * sampled latencies of section 6); what differs is the reading.</li>
 * <li>{@code http}: two HTTP fronts on the same registry, one with the answers per endpoint counted (status
 * and latency of every request, what /metrics shows per endpoint) and one without
 * ({@code -Dio.handlerregistry.http.endpoint.counters=false} when it started), wrk -t1 -c16 POSTing 64 B to
 * each in turn (on, off, off, on); the JVM's CPU time per request and the requests per second.</li>
 * <li>{@code scrape}: GET /metrics over HTTP with 100 endpoints loaded, each called in-process and through
 * the front (all their series there), the JVM's metrics included.</li>
 * </ul>
 * Prints key=value lines. Arguments: rounds, warm-up seconds, seconds per wrk run, scrapes.
 */
public final class MetricsCost {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");

    private MetricsCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        double warmup = Double.parseDouble(args[1]);
        int wrkSeconds = Integer.parseInt(args[2]);
        int scrapes = Integer.parseInt(args[3]);
        calls(rounds, warmup);
        http(Math.max(2, rounds / 10), wrkSeconds);
        scrape(scrapes);
    }

    /** The sources of an admin front for a registry and an HTTP front, outside OSGi. */
    private static Sources sources(HandlerRegistry registry, HttpNumbers http) {
        return new Sources() {
            @Override
            public HandlerRegistry registry() {
                return registry;
            }

            @Override
            public HttpNumbers http() {
                return http;
            }

            @Override
            public String httpMissing() {
                return null;
            }

            @Override
            public List<DeployFolder> deployFolders() {
                return List.of();
            }

            @Override
            public String deployFolderStarting() {
                return null;
            }

            @Override
            public boolean stopping() {
                return false;
            }
        };
    }

    private static AdminServer admin(Sources sources) throws Exception {
        AdminServer admin = new AdminServer(sources, AdminSettings.DEFAULTS.with(Map.of("port", 0),
                AdminSettings.DEFAULTS, line -> System.err.println(line)), line -> System.err.println(line));
        admin.start();
        return admin;
    }

    private static void calls(int rounds, double warmup) throws Exception {
        Blackhole blackhole = Rounds.blackhole();
        RequestContext context = RequestContext.of(1);
        HandlerRequest request = HandlerRequest.builder().method("POST").body(BenchHandlers.body(64)).build();
        try (NativeHandlerRegistry registry = BenchHandlers.openRegistry(BenchHandlers.ECHO)) {
            AdminServer admin = admin(sources(registry, null));
            HttpClient client = HttpClient.newHttpClient();
            URI metrics = URI.create("http://127.0.0.1:" + admin.port() + "/metrics");
            AtomicBoolean scraping = new AtomicBoolean();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread scraper = new Thread(() -> {
                while (running.get()) {
                    try {
                        if (scraping.get()) {
                            client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.discarding());
                        }
                        Thread.sleep(100);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "scraper");
            scraper.setDaemon(true);
            scraper.start();
            Rounds.Block off = calls -> {
                scraping.set(false);
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    blackhole.consume(registry.execute(BenchHandlers.ECHO, context, request));
                }
                return System.nanoTime() - start;
            };
            Rounds.Block on = calls -> {
                scraping.set(true);
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    blackhole.consume(registry.execute(BenchHandlers.ECHO, context, request));
                }
                return System.nanoTime() - start;
            };
            Rounds r = Rounds.interleave(rounds, warmup, on, off);
            running.set(false);
            scraper.interrupt();
            System.out.println("call.onNs=" + r.nanosPerCallA());
            System.out.println("call.offNs=" + r.nanosPerCallB());
            r.print("call.ratio", 1);
            admin.stop();
        }
    }

    private static void http(int rounds, int seconds) throws Exception {
        Path wrk = Path.of("/usr/bin/wrk");
        if (!Files.isExecutable(wrk)) {
            System.out.println("http.skipped=wrk is not installed (Debian package wrk)");
            return;
        }
        Path script = Files.createTempFile("metrics-cost-", ".lua");
        Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", 64)\n");
        try (NativeHandlerRegistry registry = BenchHandlers.openRegistry(BenchHandlers.ECHO)) {
            Map<String, Object> config = Map.of("port", 0, "h2c", false);
            HttpServer on = new HttpServer(registry, HttpSettings.DEFAULTS.with(config, HttpSettings.DEFAULTS,
                    System.err::println), System.err::println);
            System.setProperty("io.handlerregistry.http.endpoint.counters", "false");
            HttpServer off = new HttpServer(registry, HttpSettings.DEFAULTS.with(config, HttpSettings.DEFAULTS,
                    System.err::println), System.err::println);
            System.clearProperty("io.handlerregistry.http.endpoint.counters");
            on.start();
            off.start();
            try {
                String urlOn = on.listeners().get(0).url() + "/" + BenchHandlers.ECHO + "/x";
                String urlOff = off.listeners().get(0).url() + "/" + BenchHandlers.ECHO + "/x";
                wrk(wrk, script, urlOn, seconds); // warm-up, both
                wrk(wrk, script, urlOff, seconds);
                double[] cpuRatio = new double[rounds];
                double[] rpsRatio = new double[rounds];
                double cpuOn = 0;
                double cpuOff = 0;
                for (int i = 0; i < rounds; i++) {
                    double[] a = wrk(wrk, script, urlOn, seconds);
                    double[] b = wrk(wrk, script, urlOff, seconds);
                    double[] b2 = wrk(wrk, script, urlOff, seconds);
                    double[] a2 = wrk(wrk, script, urlOn, seconds);
                    double onCpu = (a[1] + a2[1]) / 2;
                    double offCpu = (b[1] + b2[1]) / 2;
                    cpuRatio[i] = onCpu / offCpu;
                    rpsRatio[i] = (a[0] + a2[0]) / (b[0] + b2[0]);
                    cpuOn += onCpu / rounds;
                    cpuOff += offCpu / rounds;
                }
                System.out.println(String.format(Locale.ROOT, "http.cpuOnUs=%.2f", cpuOn));
                System.out.println(String.format(Locale.ROOT, "http.cpuOffUs=%.2f", cpuOff));
                print("http.cpuRatio", cpuRatio);
                print("http.rpsRatio", rpsRatio);
                System.out.println("http.rounds=" + rounds);
            } finally {
                on.stop();
                off.stop();
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** One wrk run: requests per second, and this JVM's CPU microseconds per request over it. */
    private static double[] wrk(Path wrk, Path script, String url, int seconds) throws Exception {
        long cpu = cpuTicks();
        Process p = new ProcessBuilder(wrk.toString(), "-t1", "-c16", "-d" + seconds + "s", "-s", script.toString(), url)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("wrk failed:\n" + out);
        }
        cpu = cpuTicks() - cpu;
        Matcher rps = RPS.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (!rps.find() || !total.find() || out.contains("Non-2xx")) {
            throw new IllegalStateException("wrk printed no rate, or errors:\n" + out);
        }
        long requests = Long.parseLong(total.group(1));
        return new double[] {Double.parseDouble(rps.group(1)), cpu * 1e6 / 100 / requests};
    }

    /** utime + stime of this process, in clock ticks (100 per second on Linux). */
    private static long cpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static void scrape(int scrapes) throws Exception {
        NativeHandlerRegistry registry = NativeHandlerRegistry.builder(BenchHandlers.directory())
                .cleanupInterval(Duration.ZERO).build();
        HttpServer front = new HttpServer(registry, HttpSettings.DEFAULTS.with(Map.of("port", 0), HttpSettings.DEFAULTS,
                System.err::println), System.err::println);
        front.start();
        AdminServer admin = admin(sources(registry, new HttpFrontNumbers(front)));
        try {
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 100; i++) {
                String id = String.format(Locale.ROOT, "ep%03d", i);
                registry.loadFrom(id, BenchHandlers.library(BenchHandlers.ECHO));
                for (int j = 0; j < 20; j++) {
                    registry.execute(id, RequestContext.create(), HandlerRequest.of("x"));
                }
                client.send(HttpRequest.newBuilder(URI.create(front.listeners().get(0).url() + "/" + id + "/x"))
                        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.discarding());
            }
            URI metrics = URI.create("http://127.0.0.1:" + admin.port() + "/metrics");
            HttpRequest get = HttpRequest.newBuilder(metrics).build();
            int bytes = 0;
            for (int i = 0; i < Math.max(5, scrapes / 5); i++) {
                bytes = client.send(get, HttpResponse.BodyHandlers.ofString()).body().length();
            }
            double[] ms = new double[scrapes];
            for (int i = 0; i < scrapes; i++) {
                long start = System.nanoTime();
                HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
                ms[i] = (System.nanoTime() - start) / 1e6;
                bytes = r.body().length();
            }
            String body = client.send(get, HttpResponse.BodyHandlers.ofString()).body();
            long samples = body.lines().filter(l -> !l.startsWith("#") && !l.isEmpty()).count();
            System.out.println("scrape.bytes=" + bytes);
            System.out.println("scrape.samples=" + samples);
            print("scrape.ms", ms);
        } finally {
            admin.stop();
            front.stop();
            registry.close();
        }
    }

    private static void print(String prefix, double[] values) {
        double[] sorted = Arrays.copyOf(values, values.length);
        Arrays.sort(sorted);
        for (int p : new int[] {10, 50, 90}) {
            double q = sorted[(int) Math.round(p / 100.0 * (sorted.length - 1))];
            System.out.println(String.format(Locale.ROOT, "%s.p%d=%.3f", prefix, p, q));
        }
    }
}
