package io.handlerregistry.shell.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import io.handlerregistry.admin.api.AdminFront;

/**
 * What {@code handler:health} and {@code handler:metrics} show of the admin front. Loaded only once the
 * front's service was found, so that the shell runs where the admin front's API is not installed.
 */
final class AdminView {
    private AdminView() {
    }

    /** The verdicts, then each check. */
    static Table health(Object service, Screen screen) {
        AdminFront front = (AdminFront) service;
        AdminFront.Health health = front.health();
        Table table = new Table(screen, "check", "state", "counts for", "detail");
        table.row("live", health.live() ? "yes" : "NO", "/livez", null);
        table.row("ready", health.ready() ? "yes" : "NO", "/readyz", null);
        for (AdminFront.Check c : health.checks()) {
            table.row(c.name(), c.ok() ? "ok" : "FAILING", c.tags().isEmpty() ? "(reported only)"
                    : String.join(", ", c.tags()), c.detail());
        }
        table.row("admin front", front.url().isPresent() ? "listening" : "NOT LISTENING", null,
                front.url().map(u -> u + "/metrics, /livez, /readyz, /status").orElse("its address could not be"
                        + " opened (see the log); set host and port in the configuration io.handlerregistry.admin"));
        return table;
    }

    /**
     * The samples of the families whose name contains one of {@code words} (all if none): histograms as their
     * count and estimated 50th and 99th percentiles unless {@code buckets}.
     */
    static Table metrics(Object service, List<String> words, boolean jvm, boolean buckets, Screen screen) {
        AdminFront front = (AdminFront) service;
        Table table = new Table(screen, "metric", "labels", "value");
        int shown = 0;
        for (AdminFront.Family family : front.metrics(jvm)) {
            if (!words.isEmpty() && words.stream().map(w -> w.toLowerCase(Locale.ROOT)).noneMatch(w -> family.name()
                    .contains(w) || family.samples().stream().anyMatch(s -> s.name().contains(w)))) {
                continue;
            }
            if (family.type().equals("histogram") && !buckets) {
                shown += histogram(family, table);
                continue;
            }
            for (AdminFront.Sample s : family.samples()) {
                table.row(s.name(), labels(s.labels()), number(s.value()));
                shown++;
            }
        }
        if (shown == 0 && !words.isEmpty()) {
            throw new UsageError("no metric's name contains " + String.join(" or ", words) + ": 'handler:metrics'"
                    + " lists them all" + (jvm ? "" : " (--jvm: the JVM's too)"));
        }
        return table;
    }

    /** A histogram as its count and p50/p99 (the bound of the bucket they fall in). */
    private static int histogram(AdminFront.Family family, Table table) {
        int rows = 0;
        for (AdminFront.Sample count : family.samples()) {
            if (!count.name().endsWith("_count")) {
                continue;
            }
            Map<String, String> labels = count.labels();
            List<AdminFront.Sample> series = family.samples().stream()
                    .filter(s -> s.name().endsWith("_bucket") && withoutLe(s.labels()).equals(labels))
                    .collect(Collectors.toList());
            table.row(count.name(), labels(labels), number(count.value()) + (count.value() == 0 ? ""
                    : ", p50 " + percentile(series, count.value(), 0.5) + ", p99 "
                            + percentile(series, count.value(), 0.99)));
            rows++;
        }
        return rows;
    }

    private static Map<String, String> withoutLe(Map<String, String> labels) {
        Map<String, String> copy = new java.util.LinkedHashMap<>(labels);
        copy.remove("le");
        return copy;
    }

    private static String percentile(List<AdminFront.Sample> buckets, double count, double q) {
        for (AdminFront.Sample b : buckets) {
            if (b.value() >= q * count) {
                String le = b.labels().get("le");
                return le.equals("+Inf") ? "> the last bound" : "<= " + Units.nanos(Math.round(Double.parseDouble(le) * 1e9));
            }
        }
        return "?";
    }

    private static String labels(Map<String, String> labels) {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
