package io.handlerregistry.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import io.handlerregistry.benchmarks.HttpBench.Answer;
import io.handlerregistry.benchmarks.HttpBench.Cell;
import io.handlerregistry.benchmarks.HttpBench.Outcome;
import io.handlerregistry.benchmarks.HttpBench.Run;
import io.handlerregistry.benchmarks.LoadClient.Result;

/** Section 9 of BENCHMARKS.md from an {@link HttpBench.Outcome}. */
final class HttpReport {
    private final Outcome out;
    private final StringBuilder text = new StringBuilder();

    private HttpReport(Outcome out) {
        this.out = out;
    }

    /**
     * @param when a line on when and how the section was made (the date, whether it was run alone)
     */
    static String render(Outcome out, String when) {
        HttpReport r = new HttpReport(out);
        r.intro(when);
        if (out.servers.isEmpty()) {
            return r.text.toString();
        }
        r.answers();
        if (out.wrk) {
            r.protocol(false);
        }
        if (out.h2load) {
            r.protocol(true);
        }
        r.swap();
        return r.text.toString();
    }

    private void intro(String when) {
        HttpBench.Plan plan = out.plan;
        text.append("\n## 9. HTTP front against its floors (requests/s, latency in ms)\n\n").append(when)
                .append(" Machine load (1, 5, 15 min): ").append(out.loadBefore).append(" at the start, ")
                .append(out.loadAfter).append(" at the end.\n\n");
        for (String note : out.notes) {
            text.append("- **Not measured:** ").append(note).append(".\n");
        }
        if (!out.notes.isEmpty()) {
            text.append('\n');
        }
        if (out.servers.isEmpty()) {
            return;
        }
        text.append("Clients and nginx: ").append(out.tools).append(". Each server is a process of its own on")
                .append(" 127.0.0.1 and shares the 2 cores with the client:\n\n")
                .append("- **(a)** the container (`bin/handler-registry` without a console, its configuration as shipped")
                .append(" but the port) with `deploy/echo.jar`: the HTTP front calls the example echo in-process;")
                .append(" **(b)** the same with `isolation.endpoints=echo=process` (the echo in a `handler-worker`")
                .append(" process, seen running: `").append(out.isolationWorker.replaceAll(".*/", "")).append("`);\n")
                .append("- **(c)** a bare Jetty (`HttpFloor`): the front's Jetty 12.1.14 set up as `HttpServer` does")
                .append(" with its defaults (216 platform threads, one connector for HTTP/1.1 and h2c, the same")
                .append(" `HttpConfiguration`), in a JVM with the container's options, and instead of the registry a")
                .append(" blocking `Handler.Abstract` that reads the body as the front does and answers what the front")
                .append(" answered to the same request: its headers in order (captured from (a) at the start;")
                .append(" `x-request-id` and `x-deadline` made anew for every request, as the front does) and the body;\n")
                .append("- **(d)** nginx 1.22 with `add_header` for each of the front's headers, 2 worker processes for")
                .append(" the 2 cores, no access log, keep-alive without a request limit; HTTP/1.1: `return 200` with")
                .append(" the body (nginx reads the request body off the connection and drops it); h2c, on a listener")
                .append(" of its own: the echo module that Debian's nginx-light ships (`echo_read_request_body;")
                .append(" echo_request_body`, the length as a header), because with `return` nginx answers before the")
                .append(" body has come and resets the stream (RST_STREAM NO_ERROR, RFC 9113 8.1), and h2load's runs with")
                .append(" 4 KiB bodies then stalled.\n\n")
                .append("The request: `POST /echo/64` or `/echo/4096` with a body of that many bytes. POST because the")
                .append(" echo answers with the request's body: a body goes each way, and all four servers read it")
                .append(" (a GET would carry none and get none back). What each answered (HTTP/1.1: the bytes of")
                .append(" the status line and headers; h2c: the header block on the wire, HPACK, of the first answer on")
                .append(" a connection); every answer was status 200 with the body's size:\n\n");
    }

    private void answers() {
        text.append("| server | HTTP/1.1 head, 64 B / 4 KiB | h2c headers, 64 B / 4 KiB | HTTP/1.1 headers |\n")
                .append("|---|---|---|---|\n");
        for (String key : out.servers) {
            Map<String, Answer> a = out.answers.get(key);
            text.append("| ").append(HttpBench.NAMES.get(key)).append(" | ").append(bytes(a, "h1")).append(" | ")
                    .append(bytes(a, "h2")).append(" | ");
            Answer h1 = a.get("h1 " + out.plan.sizes().get(0));
            List<String> shown = new ArrayList<>();
            for (String[] h : h1.headers()) {
                shown.add(h[0] + (h[0].equalsIgnoreCase("date") || h[0].toLowerCase(Locale.ROOT).startsWith("x-")
                        && !h[0].equalsIgnoreCase("x-path") && !h[0].equalsIgnoreCase("x-method")
                        && !h[0].equalsIgnoreCase("x-endpoint") ? "" : ": " + h[1]));
            }
            text.append('`').append(String.join("`, `", shown)).append("` |\n");
        }
        text.append("\nThe front's h2c answer echoes h2load's request headers (`user-agent`, `content-length`) instead")
                .append(" of wrk's `Host`. nginx adds `Server` and, on HTTP/1.1, `Connection: keep-alive`; it leaves")
                .append(" out a header with an empty value, so `x-query` is a space on HTTP/1.1 and missing on h2c (HTTP/2")
                .append(" forbids a value of a space). It never indexes response headers in HPACK, the Jettys do.\n\n");
        HttpBench.Plan plan = out.plan;
        if (plan.serverWarmupSeconds() > 0) {
            text.append("Before the first round each JVM server, (a), (b) and (c), served ")
                    .append(plan.serverWarmupSeconds()).append(" s of wrk and (not (b)) ")
                    .append(plan.serverWarmupSeconds()).append(" s of h2load, ").append(plan.sizes().get(0))
                    .append(" B bodies, 64 connections, not measured: on these 2 cores a fresh JVM under that load")
                    .append(" took 20 to 40 s to reach its rate (its JIT compilers share the cores with the load).\n\n");
        }
        text.append("Each run: ").append(plan.seconds()).append(" s measured after a warm-up (wrk: ")
                .append(plan.warmupSeconds() > 0 ? "a run of " + plan.warmupSeconds() + " s before it" : "none")
                .append("; h2load: its own `--warm-up-time` of ").append(Math.max(1, plan.warmupSeconds()))
                .append(" s on the same connections); 2 client threads, keep-alive")
                .append(" connections. The servers take turns in each cell (a, c, d, b), ").append(plan.rounds())
                .append(" round(s) of all cells; the tables give medians of the rounds, the ratios medians of the")
                .append(" rounds' ratios (each of two runs side by side). Server CPU: user + system time of the")
                .append(" server's processes (nginx's workers, (b)'s worker process included) from `/proc/PID/stat`")
                .append(" at the start and the end of the measured time, over the requests answered in it.\n");
    }

    private String bytes(Map<String, Answer> a, String protocol) {
        List<String> cells = new ArrayList<>();
        for (int size : out.plan.sizes()) {
            Answer answer = a.get(protocol + " " + size);
            cells.add(answer == null || answer.headBytes() == 0 ? "–" : answer.headBytes() + " B");
        }
        return String.join(" / ", cells);
    }

    private void protocol(boolean h2) {
        List<String> servers = out.servers.stream()
                .filter(s -> !(h2 && (s.equals("b") || s.equals("d") && !out.nginxH2))).toList();
        text.append(h2 ? "\n### h2c (h2load -t2 -m 10: 10 streams at once per connection)\n\n"
                : "\n### HTTP/1.1 (wrk -t2)\n\n")
                .append("| body | connections | server | requests/s | p50 | p99 | p99.9 | server CPU µs per request |")
                .append(" non-2xx / socket errors (all rounds) |\n|---|---|---|---|---|---|---|---|---|\n");
        List<Cell> cells = new ArrayList<>();
        for (int size : out.plan.sizes()) {
            for (int connections : out.plan.connections()) {
                cells.add(new Cell(h2, size, connections));
            }
        }
        long errors = 0; // the front's: (a) and (b)
        long floorErrors = 0; // (c) and (d): the floors', reported, not the front's to answer for
        for (Cell cell : cells) {
            for (String key : servers) {
                List<Result> rs = results(key, cell);
                long non2xx = rs.stream().mapToLong(Result::nonSuccess).sum();
                long socket = rs.stream().mapToLong(Result::socketErrors).sum();
                if (key.equals("a") || key.equals("b")) {
                    errors += non2xx + socket;
                } else {
                    floorErrors += non2xx + socket;
                }
                text.append("| ").append(size(cell.size())).append(" | ").append(cell.connections()).append(" | ")
                        .append(HttpBench.NAMES.get(key)).append(" | ")
                        .append(f("%,.0f", median(rs, Result::perSecond))).append(" | ")
                        .append(ms(median(rs, Result::p50))).append(" | ").append(ms(median(rs, Result::p99)))
                        .append(" | ").append(ms(median(rs, Result::p999))).append(" | ")
                        .append(f("%.1f", median(rs, Result::cpuUsPerRequest))).append(" | ").append(non2xx)
                        .append(" / ").append(socket).append(" |\n");
            }
        }
        boolean d = servers.contains("d");
        text.append("\n| body | connections | (a) / (c) requests/s | (a) p99 / (c) p99 | (a) − (c) CPU µs per request |")
                .append(h2 ? "" : " (b) / (a) requests/s |").append(d ? " (a) / (d) requests/s | (c) / (d) requests/s |" : "")
                .append("\n|---|---|---|---|---|").append(h2 ? "" : "---|").append(d ? "---|---|" : "").append('\n');
        List<String> throughput = new ArrayList<>();
        List<String> p99 = new ArrayList<>();
        boolean throughputMet = true;
        boolean p99Met = true;
        for (Cell cell : cells) {
            double ac = ratio("a", "c", cell, Result::perSecond);
            double acP99 = ratio("a", "c", cell, Result::p99);
            throughputMet &= ac >= 0.85;
            p99Met &= acP99 <= 1.3;
            String where = size(cell.size()) + " × " + cell.connections();
            throughput.add(where + ": " + f("%.2f", ac));
            p99.add(where + ": " + f("%.2f", acP99) + " ×");
            text.append("| ").append(size(cell.size())).append(" | ").append(cell.connections()).append(" | ")
                    .append(f("%.2f", ac)).append(" | ").append(f("%.2f", acP99)).append(" | ")
                    .append(f("%+.1f", median(results("a", cell), Result::cpuUsPerRequest)
                            - median(results("c", cell), Result::cpuUsPerRequest))).append(" |");
            if (!h2) {
                text.append(' ').append(f("%.2f", ratio("b", "a", cell, Result::perSecond))).append(" |");
            }
            if (d) {
                text.append(' ').append(f("%.2f", ratio("a", "d", cell, Result::perSecond))).append(" | ")
                        .append(f("%.2f", ratio("c", "d", cell, Result::perSecond))).append(" |");
            }
            text.append('\n');
        }
        String protocol = h2 ? "h2c" : "HTTP/1.1";
        text.append('\n');
        target(protocol + ": (a) / (c) ≥ 0.85 in requests/s, in every cell", throughputMet,
                String.join("; ", throughput));
        target(protocol + ": (a) p99 ≤ 1.3 × (c)'s, in every cell", p99Met, String.join("; ", p99));
        text.append("- ").append(protocol).append(", every run of the front, (a) and (b): ").append(errors == 0
                ? "no non-2xx answer and no socket error" : "**" + errors + " non-2xx answers and socket errors** (see the"
                        + " table)").append(".\n");
        text.append("- ").append(protocol).append(", every run of the floors, (c) and (d): ").append(floorErrors == 0
                ? "no non-2xx answer and no socket error" : floorErrors + " non-2xx answers and socket errors (see the"
                        + " table)")
                .append(".\n");
    }

    private void swap() {
        HttpBench.SwapRun s = out.swap;
        if (s == null) {
            return;
        }
        text.append("\n### Swap run: wrk on greeting while new versions are deployed\n\n")
                .append("The container with `deploy/greeting.jar` (v1; deploy folder polled every 100 ms); wrk -t2 -c64,")
                .append(" `GET /greeting/hi`, a Lua `response()` counting the answers by the version that gave them")
                .append(" and any other; ").append(out.plan.swapSeconds()).append(" s without swaps, then ")
                .append(out.plan.swapSeconds()).append(" s while ").append(s.versions()).append(" new versions")
                .append(" (greeting v2, v1, v2, ... from `distribution/target/test-bundles`) are renamed over")
                .append(" `deploy/greeting.jar` at even intervals, each once the one before was done (its replaced")
                .append(" bundle uninstalled).\n\n")
                .append("| | requests/s | p50 | p99 | p99.9 | answers by v1 / v2 / other | non-2xx | socket errors |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        row("without swaps", s.without());
        row("during " + s.swapsDuringLoad() + " swaps", s.during());
        List<Double> sorted = new ArrayList<>(s.swapMillis());
        sorted.sort(null);
        text.append("\nA swap, from the rename to the replaced bundle's uninstall: median ")
                .append(sorted.isEmpty() ? "–" : f("%.0f", sorted.get(sorted.size() / 2))).append(" ms, longest ")
                .append(sorted.isEmpty() ? "–" : f("%.0f", sorted.get(sorted.size() - 1))).append(" ms.\n\n");
        Result d = s.during();
        target("swap run: 0 non-2xx, 0 socket errors, " + s.versions() + " swaps under load",
                d.nonSuccess() == 0 && d.socketErrors() == 0 && d.counts().getOrDefault("count.other", 0L) == 0
                        && s.swapsDuringLoad() == s.versions(),
                d.nonSuccess() + " non-2xx, " + d.socketErrors() + " socket errors, "
                        + d.counts().getOrDefault("count.other", 0L) + " other answers, " + s.swapsDuringLoad()
                        + " swaps done within the load");
        text.append("- Swap run: p99 during swaps ").append(ms(d.p99())).append(" ms against ")
                .append(ms(s.without().p99())).append(" ms without (").append(f("%.2f", d.p99() / s.without().p99()))
                .append(" ×).\n");
    }

    private void row(String what, Result r) {
        text.append("| ").append(what).append(" | ").append(f("%,.0f", r.perSecond())).append(" | ").append(ms(r.p50()))
                .append(" | ").append(ms(r.p99())).append(" | ").append(ms(r.p999())).append(" | ")
                .append(r.counts().getOrDefault("count.v1", 0L)).append(" / ")
                .append(r.counts().getOrDefault("count.v2", 0L)).append(" / ")
                .append(r.counts().getOrDefault("count.other", 0L)).append(" | ").append(r.nonSuccess()).append(" | ")
                .append(r.socketErrors()).append(" |\n");
    }

    private List<Result> results(String server, Cell cell) {
        return out.runs.stream().filter(r -> r.server().equals(server) && r.cell().equals(cell)).map(Run::result).toList();
    }

    /** The median over the rounds of {@code a}'s value over {@code b}'s in the same round. */
    private double ratio(String a, String b, Cell cell, ToDoubleFunction<Result> value) {
        List<Double> ratios = new ArrayList<>();
        for (Run ra : out.runs) {
            if (ra.server().equals(a) && ra.cell().equals(cell)) {
                for (Run rb : out.runs) {
                    if (rb.server().equals(b) && rb.cell().equals(cell) && rb.round() == ra.round()) {
                        ratios.add(value.applyAsDouble(ra.result()) / value.applyAsDouble(rb.result()));
                    }
                }
            }
        }
        return median(ratios);
    }

    private static double median(List<Result> rs, ToDoubleFunction<Result> value) {
        List<Double> values = new ArrayList<>();
        rs.forEach(r -> values.add(value.applyAsDouble(r)));
        return median(values);
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private void target(String what, boolean met, String value) {
        text.append("- Target ").append(what).append(": ").append(met ? "**met**" : "**missed**").append(" (")
                .append(value).append(")\n");
    }

    private static String ms(double micros) {
        return micros >= 100_000 ? f("%.0f", micros / 1000) : micros >= 10_000 ? f("%.1f", micros / 1000)
                : f("%.2f", micros / 1000);
    }

    private static String size(int bytes) {
        return bytes >= 1024 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    private static String f(String format, double value) {
        return String.format(Locale.ROOT, format, value);
    }
}
