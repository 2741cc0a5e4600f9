package io.handlerregistry.shell.internal;

import java.io.PrintStream;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.LoadedHandler;

/**
 * The live view of {@code handler:top}: every interval, per endpoint and version, the calls and
 * errors per second, the calls in flight, the p50 and p99 latency of the calls made in that
 * interval, the state and since when a version drains. On a terminal it redraws the screen until
 * Ctrl-C; elsewhere it prints one table per interval.
 */
final class Top {
    private static final String CLEAR_SCREEN = "\u001b[H\u001b[2J";

    private final HandlerRegistry registry;
    private final Set<String> endpoints; // empty: all
    private final boolean noFormat;
    private Map<LoadedHandler, Sample> previous = new IdentityHashMap<>();

    private Top(HandlerRegistry registry, Set<String> endpoints, boolean noFormat) {
        this.registry = registry;
        this.endpoints = endpoints;
        this.noFormat = noFormat;
    }

    /** What was counted for one version at one moment. */
    private static final class Sample {
        final long nanoTime = System.nanoTime();
        final long calls;
        final long errors;
        final Latencies latencies;

        Sample(LoadedHandler h) {
            calls = h.totalCalls();
            errors = h.failedCalls();
            latencies = h.latencies();
        }
    }

    /**
     * Shows the view every {@code intervalMillis} until interrupted (Ctrl-C) or {@code count} views
     * were shown (0: no limit). With {@code noFormat}, each view is its rows alone, cells separated
     * by tabs, and views are separated by an empty line.
     */
    static void run(HandlerRegistry registry, Set<String> endpoints, long intervalMillis, long count,
            boolean noFormat, ShellTerminal terminal, PrintStream out) {
        Top top = new Top(registry, endpoints, noFormat);
        top.sample();
        try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                ShellTerminal.Restore quietLog = terminal.interactive() ? ConsoleLog.quiet(true) : () -> { }) {
            for (long shown = 0; count == 0 || shown < count; shown++) {
                Thread.sleep(intervalMillis);
                String view = top.view(intervalMillis, terminal.interactive());
                if (terminal.interactive()) {
                    // straight to the terminal, flushed: through Gogo's pipe the view could sit in a
                    // buffer until the command ends
                    terminal.write(CLEAR_SCREEN + view + "\n");
                } else {
                    out.print((shown == 0 ? "" : "\n") + view + "\n");
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.interrupted(); // Ctrl-C ends the view; it is no error
        }
    }

    private Map<LoadedHandler, Sample> sample() {
        Map<LoadedHandler, Sample> now = new IdentityHashMap<>();
        for (LoadedHandler h : registry.handlers()) {
            if (endpoints.isEmpty() || endpoints.contains(h.endpointId())) {
                now.put(h, new Sample(h));
            }
        }
        Map<LoadedHandler, Sample> before = previous;
        previous = now;
        return before;
    }

    private String view(long intervalMillis, boolean interactive) {
        Map<LoadedHandler, Sample> before = sample();
        Table table = new Table(Screen.current(noFormat), "endpoint", "version", "state", "calls/s", "errors/s", "in-flight", "p50", "p99",
                "draining since");
        double totalCalls = 0;
        double totalErrors = 0;
        // a version unloaded within the interval is shown once more, with the calls it made in it
        Map<LoadedHandler, Sample> current = new IdentityHashMap<>(previous);
        before.keySet().stream().filter(h -> !previous.containsKey(h)).forEach(h -> current.put(h, new Sample(h)));
        List<LoadedHandler> shown = current.keySet().stream()
                .sorted((a, b) -> a.endpointId().equals(b.endpointId()) ? Long.compare(b.generation(), a.generation())
                        : a.endpointId().compareTo(b.endpointId()))
                .collect(Collectors.toList());
        for (LoadedHandler h : shown) {
            Sample now = current.get(h);
            Sample then = before.get(h);
            // a version that appeared within the interval: everything it counted is from this interval
            long fromNanos = then == null ? now.nanoTime - intervalMillis * 1_000_000 : then.nanoTime;
            double seconds = Math.max(1e-3, (now.nanoTime - fromNanos) / 1e9);
            double calls = (now.calls - (then == null ? 0 : then.calls)) / seconds;
            double errors = (now.errors - (then == null ? 0 : then.errors)) / seconds;
            Latencies latencies = then == null ? now.latencies : now.latencies.since(then.latencies);
            totalCalls += calls;
            totalErrors += errors;
            table.row(h.endpointId(), HandlerCommands.versionOf(h), h.state(), Units.rate(calls),
                    Units.rate(errors), h.activeRequests(), latency(latencies, 50), latency(latencies, 99),
                    h.drainingSince().map(Units::ago).orElse(null));
        }
        if (noFormat) {
            return table.toString();
        }
        String every = intervalMillis % 1000 == 0 ? intervalMillis / 1000 + " s" : intervalMillis + " ms";
        return "handler:top at " + Units.time(Instant.now()) + ", every " + every
                + (endpoints.isEmpty() ? "" : ", endpoints " + String.join(" ", endpoints)) + ": "
                + Units.rate(totalCalls) + " calls/s, " + Units.rate(totalErrors) + " errors/s"
                + (interactive ? " (Ctrl-C stops)" : "") + "\n" + table;
    }

    private static String latency(Latencies latencies, double percent) {
        long nanos = latencies.percentileNanos(percent);
        return nanos < 0 ? null : Units.nanos(nanos);
    }
}
