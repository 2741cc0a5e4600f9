package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark and measurement and writes the report, BENCHMARKS.md, with the targets
 * each is held to and whether it met them.
 *
 * <p>Arguments: {@code full|smoke OUTPUT_FILE DISTRIBUTION_DIR [FINDINGS_FILE] [--sections=N,...]}.
 * "smoke" runs each for one short iteration in this JVM (the test command does, so the benchmarks
 * never rot). With {@code --sections} only those sections run, and each replaces its own section of
 * an existing OUTPUT_FILE (a new one goes before the findings), and the findings are the
 * FINDINGS_FILE's; the rest of the file stays.
 */
public final class RunAll {
    private static final int SECTIONS = 10;
    private final boolean smoke;
    private final Set<Integer> sections;
    private final StringBuilder report = new StringBuilder();
    /** The text of each section run, by number. */
    private final Map<Integer, String> written = new TreeMap<>();

    private RunAll(boolean smoke, Set<Integer> sections) {
        this.smoke = smoke;
        this.sections = sections;
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        Set<Integer> sections = new TreeSet<>();
        for (String arg : args) {
            if (arg.startsWith("--sections=")) {
                for (String n : arg.substring("--sections=".length()).split(",")) {
                    int section = Integer.parseInt(n.strip());
                    if (section < 1 || section > SECTIONS) {
                        throw new IllegalArgumentException("no section " + section + ": the sections are 1 to " + SECTIONS);
                    }
                    sections.add(section);
                }
            } else {
                positional.add(arg);
            }
        }
        if (positional.size() < 3) {
            System.err.println("usage: RunAll full|smoke OUTPUT_FILE DISTRIBUTION_DIR [FINDINGS_FILE] [--sections=N,...]");
            System.exit(2);
        }
        RunAll run = new RunAll(positional.get(0).equals("smoke"), sections);
        Path output = Path.of(positional.get(1));
        String findings = positional.size() > 3 && Files.exists(Path.of(positional.get(3)))
                ? Files.readString(Path.of(positional.get(3))) : "";
        String text = run.all(Path.of(positional.get(2)), findings);
        if (!sections.isEmpty() && Files.exists(output)) {
            text = Files.readString(output);
            for (Map.Entry<Integer, String> section : run.written.entrySet()) {
                text = splice(text, section.getKey(), section.getValue());
            }
            text = withFindings(text, findings);
        }
        Files.writeString(output, text);
        System.out.println("wrote " + output + (sections.isEmpty() ? "" : " (sections " + sections + ")"));
    }

    /** {@code text} with its findings replaced by the findings file's (kept when there is none). */
    static String withFindings(String text, String findings) {
        int at = text.indexOf("\n## Findings");
        if (findings.isEmpty() || at < 0) {
            return text;
        }
        return text.substring(0, at + 1) + findings;
    }

    /** {@code text} with its section {@code n} replaced by {@code section} (or that added before the findings). */
    static String splice(String text, int n, String section) {
        int start = text.indexOf("\n## " + n + ". ");
        if (start < 0) {
            int findings = text.indexOf("\n## Findings");
            int at = findings < 0 ? text.length() : findings;
            return text.substring(0, at) + section + text.substring(at);
        }
        int end = text.indexOf("\n## ", start + 1);
        return text.substring(0, start) + section + (end < 0 ? "" : text.substring(end));
    }

    private String all(Path distribution, String findings) throws Exception {
        header();
        section(1, this::dispatch);
        section(2, this::throughput);
        section(3, this::swapLatency);
        section(4, () -> {
            soak(smoke ? 20 : 1_000);
            deploySoak(distribution, smoke ? 20 : 1_000);
        });
        section(5, () -> startup(distribution, smoke ? 1 : 7));
        section(6, this::latencyRecording);
        section(7, this::isolation);
        section(8, this::callPaths);
        section(9, () -> http(distribution));
        section(10, this::metricsCost);
        if (!findings.isBlank()) {
            report.append("\n").append(findings.strip()).append('\n');
        }
        return report.toString();
    }

    /** A part of the report. */
    @FunctionalInterface
    private interface Section {
        void write() throws Exception;
    }

    private void section(int n, Section section) throws Exception {
        if (sections.isEmpty() || sections.contains(n)) {
            int mark = report.length();
            section.write();
            written.put(n, report.substring(mark));
        }
    }

    /** Section 9: the HTTP front against a bare Jetty and nginx, and a swap run ({@link HttpBench}). */
    private void http(Path distribution) throws Exception {
        HttpBench.Outcome outcome = HttpBench.measure(distribution, distribution.resolveSibling("test-bundles"), smoke);
        String when = "Measured " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))
                + (sections.isEmpty() ? " in the full run." : ", this section alone (`benchmarks/run.sh "
                        + sections.stream().map(String::valueOf).reduce((x, y) -> x + " " + y).orElse("") + "`).")
                + (smoke ? " Smoke run: one short run per server, the numbers mean nothing." : "");
        report.append(HttpReport.render(outcome, when));
    }

    /** Section 10: what metrics cost ({@link MetricsCost}), in JVMs of their own. */
    private void metricsCost() throws IOException, InterruptedException {
        report.append("\n## 10. What metrics cost\n\n")
                .append("`MetricsCost`, ").append(runs()).append(runs() == 1 ? " JVM" : " JVMs").append(" of its own (`").append(String.join(" ", RATIO_JVM))
                .append("`), each comparison interleaved in one JVM. **Calls**: 64 B in-process echo through ")
                .append("`NativeHandlerRegistry.execute`, rounds as in section 1 (on, off, off, on), with the admin front ")
                .append("scraped 10 times a second by another thread (on) or not (off); the counters /metrics reads are ")
                .append("part of the call path in both (failure counters only, and the sampled latencies of section 6). ")
                .append("**HTTP**: two HTTP fronts in the JVM on one registry, one counting every answer per endpoint ")
                .append("(status and latency: `handler_http_requests_total`, `handler_http_request_duration_seconds`) and ")
                .append("one started with `-Dio.handlerregistry.http.endpoint.counters=false`; `wrk -t1 -c16` POSTs 64 B ")
                .append("to echo on each in turn (on, off, off, on); the JVM's CPU time per request and requests/s. ")
                .append("**Scrape**: `GET /metrics` with 100 endpoints loaded, each called in-process and through the ")
                .append("front, the JVM's metrics included.")
                .append(smoke ? " Smoke run: a few short rounds, the numbers mean nothing." : "").append("\n\n")
                .append("| run | calls on / off: median (10th–90th) | ns per call on / off | HTTP CPU per request on / off ")
                .append("| HTTP µs CPU per request on / off | HTTP req/s on / off | /metrics ms: median (10th–90th) ")
                .append("| samples, bytes |\n|---|---|---|---|---|---|---|---|\n");
        List<Double> calls = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> scrape = new ArrayList<>();
        for (int i = 1; i <= runs(); i++) {
            Map<String, String> m = runJvm(RATIO_JVM, MetricsCost.class, smoke ? "3" : "100", smoke ? "0.2" : "5",
                    smoke ? "1" : "5", smoke ? "5" : "200");
            calls.add(Double.parseDouble(m.get("call.ratio.p50")));
            scrape.add(Double.parseDouble(m.get("scrape.ms.p50")));
            boolean http = m.containsKey("http.cpuRatio.p50");
            if (http) {
                cpu.add(Double.parseDouble(m.get("http.cpuRatio.p50")));
            }
            report.append("| ").append(i).append(" | ").append(m.get("call.ratio.p50")).append(" (")
                    .append(m.get("call.ratio.p10")).append(" – ").append(m.get("call.ratio.p90")).append(") | ")
                    .append(m.get("call.onNs")).append(" / ").append(m.get("call.offNs")).append(" | ")
                    .append(http ? m.get("http.cpuRatio.p50") + " (" + m.get("http.cpuRatio.p10") + " – "
                            + m.get("http.cpuRatio.p90") + ")" : m.get("http.skipped")).append(" | ")
                    .append(http ? m.get("http.cpuOnUs") + " / " + m.get("http.cpuOffUs") : "-").append(" | ")
                    .append(http ? m.get("http.rpsRatio.p50") : "-").append(" | ")
                    .append(m.get("scrape.ms.p50")).append(" (").append(m.get("scrape.ms.p10")).append(" – ")
                    .append(m.get("scrape.ms.p90")).append(") | ").append(m.get("scrape.samples")).append(", ")
                    .append(m.get("scrape.bytes")).append(" |\n");
        }
        report.append('\n');
        calls.sort(null);
        scrape.sort(null);
        double callRatio = calls.get(calls.size() / 2);
        target("in-process call with metrics scraped ≤ 1.05 × without (interleaved, median of the runs)",
                callRatio <= 1.05, String.format(Locale.ROOT, "%.3f", callRatio));
        if (!cpu.isEmpty()) {
            cpu.sort(null);
            double cpuRatio = cpu.get(cpu.size() / 2);
            target("HTTP front's CPU per request with the answers counted per endpoint ≤ 1.05 × without",
                    cpuRatio <= 1.05, String.format(Locale.ROOT, "%.3f", cpuRatio));
        }
        report.append("- /metrics with 100 endpoints: median ")
                .append(String.format(Locale.ROOT, "%.1f ms", scrape.get(scrape.size() / 2))).append(" (no target).\n");
    }

    private void header() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        long memKiB = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
        report.append("# Benchmarks\n\n")
                .append("Generated by `benchmarks/run.sh` on ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))).append(".\n\n")
                .append("- Machine: ").append(cpu).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, ").append(memKiB / 1024 / 1024).append(" GiB, ")
                .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append('\n')
                .append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append('\n')
                .append("- JMH 1.37, ").append(smoke ? "smoke run: one short iteration, in process (numbers mean nothing)"
                        : "3 × 1 s warm-up and 5 × 1 s measurement per fork; 3 forks for the 64 B and no-op dispatch,"
                        + " 2 for throughput, 1 otherwise; ± is JMH's 99.9 % error")
                .append("\n- Interleaved measurements (`DispatchRatio`, `ScalingRatio`, `CallPathRatio`) run in JVMs of")
                .append(" their own with `").append(String.join(" ", RATIO_JVM)).append("`: a heap that grows while")
                .append(" the calls run adds page faults to some rounds and not others, on every path alike\n");
    }

    private void dispatch() throws RunnerException, IOException, InterruptedException {
        // the targets are at 64 B: those get 3 forks, as their runs vary most on a shared machine
        Map<String, RunResult> echo = byName(run(DispatchBenchmark.class.getName() + "\\.(registry|raw|java)Echo$",
                3, "size", "64"));
        echo.putAll(byName(run(DispatchBenchmark.class.getName() + "\\.(registry|raw|java)Echo$", 1,
                "size", "4096", "65536")));
        Map<String, RunResult> noop = byName(run(DispatchBenchmark.class.getName()
                + "\\.((registry|raw|java)Noop|jnaCallOnly)$", 3, "size", "64"));
        report.append("\n## 1. Dispatch cost, 1 thread (ns per call)\n\n")
                .append("`registry`: `NativeHandlerRegistry.execute` (lookup, request tracking, marshalling, ")
                .append("response copy). ")
                .append("`raw JNA`: the same `handler_entry` through the direct-mapped binding the registry uses, ")
                .append("with only the body copied in and out. `Java only`: the same work without native code.\n\n")
                .append("| handler | body | registry | raw JNA | Java only | registry / raw |\n")
                .append("|---|---|---|---|---|---|\n");
        row("no-op", "-", noop, "Noop", "64");
        double ratio64 = 0;
        double registry64 = 0;
        for (String size : List.of("64", "4096", "65536")) {
            double r = row("echo", bytes(size), echo, "Echo", size);
            if (size.equals("64")) {
                ratio64 = r;
                registry64 = score(echo, "registryEcho", size);
            }
        }
        report.append("\nThe JNA call alone (the no-op handler's `handler_entry` through the same binding, nothing ")
                .append("written or read around it): ").append(cell(noop, "jnaCallOnly", "64")).append(" ns.\n");
        report.append("\nThe ratio column divides results of separate runs, minutes apart: on this shared machine ")
                .append("the speed of both paths drifts more than the difference between them. The target is ")
                .append("therefore judged on `DispatchRatio`, which measures the 64 B echo interleaved in one ")
                .append("JVM: each round times ~20 ms of registry calls and of raw calls back to back (registry, raw, ")
                .append("raw, registry), and its ratio is the round's registry time over its raw time; ")
                .append(runs()).append(" JVMs of 100 rounds each after 5 s of warm-up.\n\n");
        double interleaved = interleaved(DispatchRatio.class, 100, runs(), "ratio")[0];
        target("registry / raw at 64 B ≤ 1.15 (interleaved, median of the runs)", interleaved <= 1.15,
                String.format(Locale.ROOT, "%.2f; from the separate runs above: %.2f", interleaved, ratio64));
        target("registry echo 64 B ≤ 500 ns", registry64 <= 500, String.format(Locale.ROOT, "%.0f ns", registry64));
    }

    private double row(String handler, String body, Map<String, RunResult> results, String kind, String size) {
        double registry = score(results, "registry" + kind, size);
        double raw = score(results, "raw" + kind, size);
        report.append("| ").append(handler).append(" | ").append(body).append(" | ")
                .append(cell(results, "registry" + kind, size)).append(" | ")
                .append(cell(results, "raw" + kind, size)).append(" | ")
                .append(cell(results, "java" + kind, size)).append(" | ")
                .append(String.format(Locale.ROOT, "%.2f", registry / raw)).append(" |\n");
        return registry / raw;
    }

    private void throughput() throws RunnerException, IOException, InterruptedException {
        Map<String, RunResult> r = byName(run(ThroughputBenchmark.class.getName() + ".*", 2, "size", "64"));
        double reg1 = score(r, "registry1Thread", "64");
        double reg2 = score(r, "registry2Threads", "64");
        double raw1 = score(r, "raw1Thread", "64");
        double raw2 = score(r, "raw2Threads", "64");
        report.append("\n## 2. Throughput, echo 64 B (calls per µs, all threads together)\n\n")
                .append("| path | 1 thread | 2 threads | 2 threads / 1 thread |\n|---|---|---|---|\n")
                .append("| registry | ").append(cell(r, "registry1Thread", "64")).append(" | ")
                .append(cell(r, "registry2Threads", "64")).append(" | ")
                .append(String.format(Locale.ROOT, "%.2f", reg2 / reg1)).append(" |\n")
                .append("| raw JNA | ").append(cell(r, "raw1Thread", "64")).append(" | ")
                .append(cell(r, "raw2Threads", "64")).append(" | ")
                .append(String.format(Locale.ROOT, "%.2f", raw2 / raw1)).append(" |\n\n")
                .append("As with the dispatch ratio, the two columns come from separate runs. `ScalingRatio` ")
                .append("measures interleaved in one JVM: each round times one pool thread making N calls and two ")
                .append("making N each (1, 2, 2, 1); the round's ratio is the 2-thread throughput over the 1-thread ")
                .append("one; `registryDeadline` makes the same calls with a deadline. ").append(runs())
                .append(" JVMs of 40 rounds per path after 5 s of warm-up.\n\n");
        double[] scaling = interleaved(ScalingRatio.class, 40, runs(), "registry", "registryDeadline", "raw");
        target("registry with 2 threads ≥ 1.8 × 1 thread (interleaved, median of the runs)", scaling[0] >= 1.8,
                String.format(Locale.ROOT, "%.2f ×; calls with a deadline %.2f ×; raw %.2f ×; from the separate"
                        + " runs above: %.2f ×", scaling[0], scaling[1], scaling[2], reg2 / reg1));
    }

    private void swapLatency() throws RunnerException {
        RunResult r = run(SwapBenchmark.class.getName() + ".*", 1, null).iterator().next();
        var stats = r.getPrimaryResult().getStatistics();
        report.append("\n## 3. Graceful swap of an idle endpoint (µs)\n\n")
                .append("Copy the new library, load it (`RTLD_NOW`), check its ABI, bind it, init it, switch, ")
                .append("and unload the old version (idle: drained at once).\n\n")
                .append("| p50 | p90 | p99 | max | swaps sampled |\n|---|---|---|---|---|\n")
                .append(String.format(Locale.ROOT, "| %.0f | %.0f | %.0f | %.0f | %d |%n%n", stats.getPercentile(50),
                        stats.getPercentile(90), stats.getPercentile(99), stats.getMax(), stats.getN()));
        target("p50 ≤ 5 ms", stats.getPercentile(50) <= 5_000,
                String.format(Locale.ROOT, "%.2f ms", stats.getPercentile(50) / 1000));
    }

    private void soak(int swaps) throws IOException, InterruptedException {
        Map<String, String> m = runJvm(List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch"), SwapSoak.class,
                String.valueOf(swaps));
        report.append("\n## 4. ").append(String.format(Locale.ROOT, "%,d", swaps))
                .append(" graceful swaps in one process, a call after each\n\n")
                .append("A JVM of its own with a fixed, pre-touched 64 MiB heap; measured after as many warm-up ")
                .append("swaps (JIT compilation settles) and again at the end (after GC). ").append(m.get("seconds").substring(0,
                        Math.min(5, m.get("seconds").length()))).append(" s in all.\n\n")
                .append("| | before | after |\n|---|---|---|\n");
        for (String key : List.of("mappings", "copies", "threads", "rssKiB", "loadedClasses")) {
            report.append("| ").append(Map.of("mappings", "handler library files mapped (/proc/self/maps)",
                    "copies", "private library copies on disk", "threads", "threads", "rssKiB", "RSS (KiB)",
                    "loadedClasses", "loaded classes").get(key)).append(" | ").append(m.get(key + ".before"))
                    .append(" | ").append(m.get(key + ".after")).append(" |\n");
        }
        long rssGrowth = Long.parseLong(m.get("rssKiB.after")) - Long.parseLong(m.get("rssKiB.before"));
        report.append('\n');
        target("mappings back to the start", m.get("mappings.after").equals(m.get("mappings.before")),
                m.get("mappings.after"));
        target("copies deleted (1 left: the active version)", m.get("copies.after").equals("1"), m.get("copies.after"));
        target("RSS growth < 5 MB", rssGrowth < 5 * 1024, rssGrowth + " KiB");
        target("no thread growth", Long.parseLong(m.get("threads.after")) <= Long.parseLong(m.get("threads.before")),
                m.get("threads.before") + " → " + m.get("threads.after"));
    }

    private void deploySoak(Path distribution, int replaces) throws IOException, InterruptedException {
        Map<String, String> m = DeploySoak.measure(distribution, distribution.resolveSibling("test-bundles"), replaces);
        report.append("### ").append(String.format(Locale.ROOT, "%,d", replaces))
                .append(" replaces through the container's deploy folder\n\n")
                .append("The container (`bin/handler-registry`, no console, deploy folder polled every 100 ms): greeting ")
                .append("v1 and v2 renamed over `deploy/greeting.jar` in turn, each time until the replaced bundle is ")
                .append("uninstalled; measured after as many warm-up replaces and again at the end, live objects after ")
                .append("a full GC (`jcmd GC.class_histogram`). ").append(m.get("seconds").substring(0,
                        Math.min(5, m.get("seconds").length()))).append(" s in all.\n\n")
                .append("| | before | after |\n|---|---|---|\n");
        for (String key : List.of("liveBytes", "liveObjects", "classes", "threads")) {
            report.append("| ").append(Map.of("liveBytes", "live heap (bytes)", "liveObjects", "live objects",
                    "classes", "loaded classes", "threads", "threads").get(key)).append(" | ")
                    .append(m.get(key + ".before")).append(" | ").append(m.get(key + ".after")).append(" |\n");
        }
        long growth = Long.parseLong(m.get("liveBytes.after")) - Long.parseLong(m.get("liveBytes.before"));
        report.append('\n');
        target("live heap back where it started (growth < 1 MiB, 1 KiB a replace)", growth < 1024 * 1024,
                String.format(Locale.ROOT, "%+,d bytes", growth));
        target("no thread growth", Long.parseLong(m.get("threads.after")) <= Long.parseLong(m.get("threads.before")),
                m.get("threads.before") + " → " + m.get("threads.after"));
    }

    private void startup(Path distribution, int runs) throws IOException, InterruptedException {
        List<Double> times = StartupTime.measure(distribution, runs);
        List<Double> sorted = new ArrayList<>(times);
        sorted.sort(null);
        double median = sorted.get(sorted.size() / 2);
        report.append("\n## 5. Container start to first served call (ms)\n\n")
                .append("`bin/handler-registry -c 'handler:call echo started'`, from process start to the answer; ")
                .append(runs).append(" runs in order, the first without the launcher's class data archive ")
                .append("(JDK 17 to 21 and 25+; as after an install, and it writes the archive when it exits), ")
                .append("the others with it: ");
        times.forEach(t -> report.append(String.format(Locale.ROOT, "%.0f ", t)));
        report.append(String.format(Locale.ROOT, "→ median of all **%.0f ms**.%n%n", median));
        target("median ≤ 1,500 ms", median <= 1_500, String.format(Locale.ROOT, "%.0f ms", median));
    }

    /**
     * What timing calls for the live view costs: the interleaved 64 B dispatch ratio (registry / raw,
     * so that the machine's drift cancels) with latency sampling off, at its default (1 call in 16)
     * and on every call; the settings alternate JVM by JVM.
     */
    private void latencyRecording() throws IOException, InterruptedException {
        List<Integer> settings = List.of(0, 16, 1);
        Map<Integer, List<Double>> ratios = new HashMap<>();
        Map<Integer, List<Double>> nanos = new HashMap<>();
        for (int i = 0; i < runs(); i++) {
            for (int sampling : settings) {
                List<String> options = new ArrayList<>(RATIO_JVM);
                options.add("-Dio.handlerregistry.latency.sampling=" + sampling);
                Map<String, String> m = runJvm(options, DispatchRatio.class, String.valueOf(smoke ? 3 : 100), smoke ? "0.2" : "5");
                ratios.computeIfAbsent(sampling, k -> new ArrayList<>()).add(Double.parseDouble(m.get("ratio.p50")));
                nanos.computeIfAbsent(sampling, k -> new ArrayList<>()).add(Double.parseDouble(m.get("registryNs")));
            }
        }
        report.append("\n## 6. Latency recording for `handler:top` (echo 64 B, 1 thread)\n\n")
                .append("Every loaded version times one call in `io.handlerregistry.latency.sampling` (default 16; 0 ")
                .append("turns it off, 1 times every call): two clock reads and one add to a histogram striped like ")
                .append("the request counts. Measured as in section 1 (`DispatchRatio`, registry / raw interleaved, ")
                .append("100 rounds after 5 s of warm-up), ").append(runs()).append(" JVMs per setting, the ")
                .append("settings alternating JVM by JVM.\n\n")
                .append("| sampling | registry / raw, per run | median | registry ns per call (median) |\n")
                .append("|---|---|---|---|\n");
        for (int sampling : settings) {
            report.append("| ").append(sampling == 0 ? "off" : sampling == 1 ? "every call" : "1 in " + sampling)
                    .append(" | ");
            ratios.get(sampling).forEach(r -> report.append(String.format(Locale.ROOT, "%.3f ", r)));
            report.append(String.format(Locale.ROOT, "| %.3f | %.0f |%n", median(ratios.get(sampling)),
                    median(nanos.get(sampling))));
        }
        double cost = median(ratios.get(16)) / median(ratios.get(0)) - 1;
        report.append('\n');
        target("default sampling adds ≤ 5 % to the 64 B call (median ratio, 1 in 16 over off)", cost <= 0.05,
                String.format(Locale.ROOT, "%+.1f %%", cost * 100));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * The JVM options of the interleaved measurements: a heap of fixed size, touched at start. A heap
     * that grows while the calls run adds page faults to some rounds and not others (on this VM they
     * were most of the time of the rounds that came out 3 to 6 times slower), on every path alike.
     */
    private static final List<String> RATIO_JVM = List.of("-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch");

    /** Runs a measurement's main class in a JVM of its own; returns the key=value lines it printed. */
    private static Map<String, String> runJvm(List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return runJvm(Path.of(System.getProperty("java.home")), jvmOptions, main, args);
    }

    /** Like {@link #runJvm(List, Class, String...)}, on the JDK at {@code javaHome}. */
    private static Map<String, String> runJvm(Path javaHome, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaHome.resolve("bin/java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dbench.native.dir=" + BenchHandlers.directory(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(main.getSimpleName() + " failed:\n" + output);
        }
        Map<String, String> m = new HashMap<>();
        output.lines().filter(l -> l.matches("[\\w.]+=.*")).forEach(l -> m.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return m;
    }

    /**
     * Runs an interleaved ratio measurement in {@code runs} JVMs of its own and adds a table: per
     * run and key, the median of the rounds' ratios and their 10th–90th percentiles. Returns, per
     * key, the median of the runs' medians.
     */
    private double[] interleaved(Class<?> main, int rounds, int runs, String... keys)
            throws IOException, InterruptedException {
        List<List<Double>> medians = new ArrayList<>();
        report.append("| run |");
        for (String key : keys) {
            report.append(' ').append(key).append(": median (10th–90th percentile) |");
            medians.add(new ArrayList<>());
        }
        report.append("\n|---|").append("---|".repeat(keys.length)).append('\n');
        for (int i = 1; i <= runs; i++) {
            Map<String, String> m = runJvm(RATIO_JVM, main, String.valueOf(smoke ? 3 : rounds), smoke ? "0.2" : "5");
            report.append("| ").append(i).append(" |");
            for (int k = 0; k < keys.length; k++) {
                medians.get(k).add(Double.parseDouble(m.get(keys[k] + ".p50")));
                report.append(' ').append(m.get(keys[k] + ".p50")).append(" (").append(m.get(keys[k] + ".p10"))
                        .append(" – ").append(m.get(keys[k] + ".p90")).append(") |");
            }
            report.append('\n');
        }
        report.append('\n');
        double[] result = new double[keys.length];
        for (int k = 0; k < keys.length; k++) {
            List<Double> sorted = medians.get(k);
            sorted.sort(null);
            result[k] = sorted.get(sorted.size() / 2);
        }
        return result;
    }

    private int runs() {
        return smoke ? 1 : 3;
    }

    /**
     * Process isolation against in-process and the raw call, 64 B echo: per-call latency, throughput
     * with 1 and 2 threads, crash to serving again, a worker's memory ({@link IsolationBenchmark}, in
     * JVMs of its own).
     */
    private void isolation() throws IOException, InterruptedException {
        List<Map<String, String>> runs = new ArrayList<>();
        for (int i = 0; i < runs(); i++) {
            runs.add(runJvm(List.of(), IsolationBenchmark.class, smoke ? "0.2" : "3", smoke ? "2000" : "200000",
                    smoke ? "2" : "20", smoke ? "3" : "60"));
        }
        report.append("\n## 7. Process isolation (echo 64 B)\n\n")
                .append("The same library in-process and in a worker process (`Isolation.PROCESS`: shared memory, ")
                .append("callers and the worker's one polling thread spin up to 50 µs, yielding, then sleep on a ")
                .append("futex), in one JVM (`IsolationBenchmark`), ").append(runs()).append(" JVMs. Latency: each ")
                .append("call timed, 200,000 per path, the paths taking turns in blocks of 1,000. Throughput: calls ")
                .append("per second over 3 s, all threads together, 1 thread then 2; and 2 threads over 1 measured ")
                .append("interleaved (`ScalingRatio`'s method: the same two pool threads, 60 rounds of ~20 ms blocks in ")
                .append("the order 1, 2, 2, 1, a ratio per round; p10 / p50 / p90 of the rounds). Crash to serving: ")
                .append("from the call that crashes the worker ")
                .append("(`abort()`) to the next answer, 20 crashes in a row (restarted at once: the benchmark ")
                .append("sets no backoff). Memory: the worker's resident and proportional set sizes (PSS counts ")
                .append("shared pages, such as libc's, in part).\n\n")
                .append("| run | raw JNA p50 / p99 | in-process p50 / p99 | process p50 / p99 | in-process 1 / 2 threads")
                .append(" | process 1 / 2 threads | process 2 / 1 threads, interleaved | crash to serving p50 / max")
                .append(" | worker RSS / PSS |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < runs.size(); i++) {
            Map<String, String> m = runs.get(i);
            report.append("| ").append(i + 1).append(" | ")
                    .append(ns(m, "rawP50Ns")).append(" / ").append(ns(m, "rawP99Ns")).append(" | ")
                    .append(ns(m, "inProcessP50Ns")).append(" / ").append(ns(m, "inProcessP99Ns")).append(" | ")
                    .append(ns(m, "processP50Ns")).append(" / ").append(ns(m, "processP99Ns")).append(" | ")
                    .append(perSecond(m, "inProcess1ThreadPerSecond")).append(" / ")
                    .append(perSecond(m, "inProcess2ThreadsPerSecond")).append(" | ")
                    .append(perSecond(m, "process1ThreadPerSecond")).append(" / ")
                    .append(perSecond(m, "process2ThreadsPerSecond")).append(" | ")
                    .append(m.get("processScaling.p10")).append(" / ").append(m.get("processScaling.p50"))
                    .append(" / ").append(m.get("processScaling.p90")).append(" | ")
                    .append(m.get("crashToServingP50Ms")).append(" / ").append(m.get("crashToServingMaxMs"))
                    .append(" ms | ").append(kib(m, "workerRssKiB")).append(" / ").append(kib(m, "workerPssKiB"))
                    .append(" |\n");
        }
        report.append('\n');
        double p50 = median(values(runs, "processP50Ns"));
        double twoThreads = median(values(runs, "process2ThreadsPerSecond"));
        double crash = median(values(runs, "crashToServingMaxMs"));
        target("process p50 ≤ 5 µs per call (median of the runs)", p50 <= 5_000,
                String.format(Locale.ROOT, "%.2f µs", p50 / 1000));
        target("process ≥ 100,000 calls/s with 2 threads (median of the runs)", twoThreads >= 100_000,
                String.format(Locale.ROOT, "%,.0f calls/s", twoThreads));
        target("crash to serving again ≤ 100 ms (the slowest of 20 crashes, median of the runs)", crash <= 100,
                String.format(Locale.ROOT, "%.1f ms", crash));
        boolean everyRun = true;
        boolean everyRunInterleaved = true;
        List<String> ratios = new ArrayList<>();
        for (Map<String, String> m : runs) {
            double one = Double.parseDouble(m.get("process1ThreadPerSecond"));
            double two = Double.parseDouble(m.get("process2ThreadsPerSecond"));
            everyRun &= two >= one;
            everyRunInterleaved &= Double.parseDouble(m.get("processScaling.p50")) >= 1.0;
            ratios.add(String.format(Locale.ROOT, "%.2f", two / one));
        }
        target("process: 2 threads at least the calls/s of 1 thread, 3 s each, in every run", everyRun,
                "2 / 1 threads: " + String.join(", ", ratios));
        target("process: 2 threads at least the calls/s of 1 thread, interleaved (p50 of the rounds), in every run",
                everyRunInterleaved, "p50: " + String.join(", ", values(runs, "processScaling.p50").stream()
                        .map(v -> String.format(Locale.ROOT, "%.2f", v)).toArray(String[]::new)));
    }

    /**
     * The call path of each JDK against its floor: {@link CallPathRatio} in JVMs of this JDK and of
     * a JDK 22+ (system property bench.jdk22, else Temurin 25 where this machine kind has it), and the
     * 2-thread scaling there.
     */
    private void callPaths() throws IOException, InterruptedException {
        List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
        Path newer = Path.of(System.getProperty("bench.jdk22", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        if (Runtime.version().feature() < 22 && Files.isExecutable(newer.resolve("bin/java"))) {
            jdks.add(newer);
        }
        report.append("\n## 8. Call path per JDK (echo 64 B, ns per call, 1 thread)\n\n")
                .append("JNA loads every library; the call goes through JNA's direct mapping on JDK 17–21 and ")
                .append("through a `java.lang.foreign` downcall on JDK 22+. `CallPathRatio` times, interleaved in ")
                .append("one JVM (blocks of ~10 ms in one order, then the reverse, per round; ratios per round), ")
                .append("the registry and the raw calls (JNA and, on JDK 22+, `java.lang.foreign` from a constant ")
                .append("method handle: the floor) with the body-only echo and with the example echo (6 response ")
                .append("headers, which the registry copies out and does not decode: nobody asks for them; the raw ")
                .append("calls copy only the body). ").append(runs())
                .append(" JVMs per JDK, 60 rounds after 5 s of warm-up; medians.\n\n");
        StringBuilder bodyOnly = new StringBuilder("| JDK | path | registry | raw JNA | raw FFM | registry / raw JNA")
                .append(" | registry / raw FFM |\n|---|---|---|---|---|---|---|\n");
        StringBuilder headers = new StringBuilder("With the example echo's 6 response headers (the raw call of ")
                .append("the JDK's path: FFM on 22+, else JNA):\n\n| JDK | registry | raw | registry: headers / ")
                .append("body-only | raw: headers / body-only | registry's cost of the headers beyond the raw ")
                .append("call |\n|---|---|---|---|---|---|\n");
        StringBuilder targets = new StringBuilder(); // after the tables: target() writes to the report
        for (Path jdk : jdks) {
            List<Map<String, String>> runs = new ArrayList<>();
            for (int i = 0; i < runs(); i++) {
                runs.add(runJvm(jdk, RATIO_JVM, CallPathRatio.class, smoke ? "3" : "60", smoke ? "0.2" : "5"));
            }
            boolean foreign = runs.get(0).containsKey("rawForeignNs");
            String floor = foreign ? "rawForeign" : "rawJna";
            String jdkName = runs.get(0).get("path").replaceAll(".*\\(JDK (\\d+)\\)", "$1");
            bodyOnly.append("| ").append(jdkName).append(" | ")
                    .append(runs.get(0).get("path").replaceAll(" \\(.*", "")).append(" | ")
                    .append(med(runs, "registryNs", "%.0f")).append(" | ").append(med(runs, "rawJnaNs", "%.0f"))
                    .append(" | ").append(foreign ? med(runs, "rawForeignNs", "%.0f") : "–").append(" | ")
                    .append(med(runs, "registryOverRawJna", "%.2f")).append(" | ")
                    .append(foreign ? med(runs, "registryOverRawForeign", "%.2f") : "–").append(" |\n");
            headers.append("| ").append(jdkName).append(" | ").append(med(runs, "headersNs", "%.0f")).append(" | ")
                    .append(med(runs, floor + "HeadersNs", "%.0f")).append(" | ")
                    .append(med(runs, "headersOverBody", "%.2f")).append(" | ")
                    .append(med(runs, "rawHeadersOverBody", "%.2f")).append(" | ")
                    .append(med(runs, "headersBeyondRawNs", "%.0f")).append(" ns |\n");
            double headersRatio = median(values(runs, "headersOverBody"));
            String headersValue = String.format(Locale.ROOT, "%.2f ×; the raw %s call of the same handler: %s ×, "
                    + "its own work for the headers; the registry's cost of them beyond that: %s ns", headersRatio,
                    foreign ? "FFM" : "JNA", med(runs, "rawHeadersOverBody", "%.2f"),
                    med(runs, "headersBeyondRawNs", "%.0f"));
            int mark = report.length();
            if (foreign) {
                double ratio = median(values(runs, "registryOverRawForeign"));
                double ns = median(values(runs, "registryNs"));
                List<Map<String, String>> scaling = new ArrayList<>();
                for (int i = 0; i < runs(); i++) {
                    scaling.add(runJvm(jdk, RATIO_JVM, ScalingRatio.class, smoke ? "3" : "30", smoke ? "0.2" : "5"));
                }
                double twoThreads = median(values(scaling, "registry.p50"));
                target("JDK " + jdkName + ": registry / raw FFM, body-only, ≤ 1.5", ratio <= 1.5,
                        String.format(Locale.ROOT, "%.2f", ratio));
                target("JDK " + jdkName + ": registry body-only ≤ 40 ns", ns <= 40,
                        String.format(Locale.ROOT, "%.0f ns", ns));
                target("JDK " + jdkName + ": 6 headers ≤ 2 × body-only", headersRatio <= 2, headersValue);
                target("JDK " + jdkName + ": 2 threads / 1 thread ≥ 1.8 × (ScalingRatio, median of " + runs()
                        + " JVMs)", twoThreads >= 1.8, String.format(Locale.ROOT, "%.2f ×, with deadlines %s ×;"
                                + " raw JNA %s ×, raw FFM %s ×; per JVM: registry %s, raw FFM %s", twoThreads,
                                med(scaling, "registryDeadline.p50", "%.2f"), med(scaling, "raw.p50", "%.2f"),
                                med(scaling, "rawForeign.p50", "%.2f"), values(scaling, "registry.p50"),
                                values(scaling, "rawForeign.p50")));
            } else {
                double ratio = median(values(runs, "registryOverRawJna"));
                target("JDK " + jdkName + ": registry / raw JNA ≤ 1.2 (no regression)", ratio <= 1.2,
                        String.format(Locale.ROOT, "%.2f", ratio));
                target("JDK " + jdkName + ": 6 headers ≤ 2 × body-only", headersRatio <= 2, headersValue);
                report.append("- 2 threads / 1 thread on JDK ").append(jdkName).append(": section 2.\n");
            }
            report.append("- JDK ").append(jdkName).append(", 64 KiB body: ").append(med(runs, "largeNs", "%.0f"))
                    .append(" ns through `execute` (the body becomes a new array), ")
                    .append(med(runs, "largeReaderNs", "%.0f")).append(" ns through a `ResponseReader` that copies")
                    .append(" it into one reused array (").append(foreign ? "a view of handler memory" : "a copy")
                    .append(" on this JDK): ").append(med(runs, "readerOverExecute", "%.2f")).append(" ×.\n");
            targets.append(report, mark, report.length()); // moved below the tables
            report.setLength(mark);
        }
        report.append(bodyOnly).append('\n').append(headers).append('\n').append(targets);
    }

    private static String med(List<Map<String, String>> runs, String key, String format) {
        return String.format(Locale.ROOT, format, median(values(runs, key)));
    }

    private static List<Double> values(List<Map<String, String>> runs, String key) {
        List<Double> values = new ArrayList<>();
        runs.forEach(m -> values.add(Double.parseDouble(m.get(key))));
        return values;
    }

    private static String ns(Map<String, String> m, String key) {
        double ns = Double.parseDouble(m.get(key));
        return ns >= 10_000 ? String.format(Locale.ROOT, "%.0f µs", ns / 1000)
                : ns >= 1_000 ? String.format(Locale.ROOT, "%.1f µs", ns / 1000)
                : String.format(Locale.ROOT, "%.0f ns", ns);
    }

    private static String perSecond(Map<String, String> m, String key) {
        double calls = Double.parseDouble(m.get(key));
        return calls >= 1e6 ? String.format(Locale.ROOT, "%.2f M", calls / 1e6)
                : String.format(Locale.ROOT, "%.0f k", calls / 1e3);
    }

    private static String kib(Map<String, String> m, String key) {
        return String.format(Locale.ROOT, "%.1f MiB", Double.parseDouble(m.get(key)) / 1024);
    }

    private void target(String what, boolean met, String value) {
        report.append("- Target ").append(what).append(": ").append(met ? "**met**" : "**missed**").append(" (")
                .append(value).append(")\n");
    }

    private Collection<RunResult> run(String include, int forks, String param, String... values)
            throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder().include(include).forks(forks).shouldFailOnError(true);
        if (param != null) {
            options.param(param, values);
        }
        if (smoke) {
            options.forks(0).warmupIterations(0).measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(200));
        }
        return new Runner(options.build()).run();
    }

    private static Map<String, RunResult> byName(Collection<RunResult> results) {
        Map<String, RunResult> map = new HashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String size = r.getParams().getParam("size");
            map.put(name.substring(name.lastIndexOf('.') + 1) + "@" + size, r);
        }
        return map;
    }

    private static double score(Map<String, RunResult> results, String method, String size) {
        RunResult r = results.get(method + "@" + size);
        return r == null ? Double.NaN : r.getPrimaryResult().getScore();
    }

    private static String cell(Map<String, RunResult> results, String method, String size) {
        RunResult r = results.get(method + "@" + size);
        if (r == null) {
            return "-";
        }
        double error = r.getPrimaryResult().getScoreError();
        return Double.isNaN(error) ? String.format(Locale.ROOT, "%.1f", r.getPrimaryResult().getScore())
                : String.format(Locale.ROOT, "%.1f ± %.1f", r.getPrimaryResult().getScore(), error);
    }

    private static String bytes(String size) {
        int n = Integer.parseInt(size);
        return n >= 1024 ? n / 1024 + " KiB" : n + " B";
    }
}
