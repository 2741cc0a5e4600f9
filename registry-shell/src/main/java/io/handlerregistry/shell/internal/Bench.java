package io.handlerregistry.shell.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * An operator's load test: T threads call one endpoint through the registry for a time or a number
 * of calls, and count calls, failures, latencies and answers (by the first word of the body, so
 * that a swap shows as two answers, e.g. "v1" and "v2").
 */
final class Bench {
    /**
     * The most threads a bench may start: far more than a registry serves at once by default (256
     * calls per version), and still quick to start (100,000 took 3 GB and 17 s for a 5 s bench).
     */
    static final int MAX_THREADS = 1024;
    private static final int MAX_FAILURE_SAMPLES = 3;
    /** After Ctrl-C, how long to wait for the workers' current calls before reporting. */
    private static final long STOP_WAIT_NANOS = 2_000_000_000L;

    private Bench() {
    }

    /**
     * Runs the bench on the calling thread's behalf and returns what it measured. If the calling
     * thread is interrupted (Ctrl-C), the workers stop after their current call and the result
     * covers the calls made so far.
     *
     * @param terminal where a live line shows the calls and failures so far (if interactive)
     */
    static Result run(HandlerRegistry registry, String endpoint, HandlerRequest request, int threads,
            long durationNanos, long calls, ShellTerminal terminal) {
        long start = System.nanoTime();
        long end = calls > 0 ? Long.MAX_VALUE : start + durationNanos;
        AtomicLong remaining = new AtomicLong(calls > 0 ? calls : Long.MAX_VALUE);
        AtomicBoolean stop = new AtomicBoolean();
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(registry, endpoint, request, end, remaining, stop);
            w.thread = new Thread(w, "handler-bench-" + endpoint + "-" + i);
            w.thread.setDaemon(true);
            workers.add(w);
        }
        boolean interrupted = false;
        try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                LiveLine line = LiveLine.start(terminal, () -> progress(workers, start, durationNanos, calls))) {
            workers.forEach(w -> w.thread.start());
            for (Worker w : workers) {
                w.thread.join();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        interrupted |= Thread.interrupted(); // Ctrl-C just as the workers ended
        int stillInside = 0;
        if (interrupted) {
            stop.set(true);
            stillInside = awaitStopped(workers);
        }
        long elapsed = System.nanoTime() - start;
        LatencyHistogram latencies = new LatencyHistogram();
        Map<String, Long> answers = new TreeMap<>();
        Set<String> samples = new LinkedHashSet<>();
        long failures = 0;
        for (Worker w : workers) {
            if (w.thread.isAlive()) {
                continue; // still inside a call and still writing its counts: reported apart
            }
            latencies.add(w.latencies);
            w.answers.forEach((k, v) -> answers.merge(k, v, Long::sum));
            failures += w.failures;
            for (String s : w.failureSamples) {
                if (samples.size() < MAX_FAILURE_SAMPLES) {
                    samples.add(s);
                }
            }
        }
        return new Result(endpoint, threads, elapsed, latencies.count(), failures, latencies.percentile(50),
                latencies.percentile(90), latencies.percentile(99), latencies.max(), answers, List.copyOf(samples),
                interrupted, stillInside);
    }

    /** Waits a little for stopped workers to leave their call; returns how many are still inside one. */
    private static int awaitStopped(List<Worker> workers) {
        long deadline = System.nanoTime() + STOP_WAIT_NANOS;
        int stillInside = 0;
        for (Worker w : workers) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    w.thread.join(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // a second Ctrl-C: report now
            }
            if (w.thread.isAlive()) {
                stillInside++;
            }
        }
        Thread.interrupted(); // the command is done; the shell must not see the interrupt
        return stillInside;
    }

    private static String progress(List<Worker> workers, long start, long durationNanos, long calls) {
        long done = 0;
        long failed = 0;
        for (Worker w : workers) {
            done += w.done.get();
            failed += w.failed.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String goal = calls > 0 ? done + " of " + calls + " calls"
                : done + " calls, " + Math.round(seconds) + " of " + Math.round(durationNanos / 1e9) + " s";
        return "bench: " + goal + ", " + Units.rate(done / Math.max(seconds, 1e-3)) + "/s, " + failed
                + " failed (Ctrl-C stops)";
    }

    /** What a bench measured; printed as a short report (accessors are not bean getters, so Gogo prints that). */
    public static final class Result {
        private final String endpoint;
        private final int threads;
        private final long elapsedNanos;
        private final long calls;
        private final long failures;
        private final long p50;
        private final long p90;
        private final long p99;
        private final long max;
        private final Map<String, Long> answers;
        private final List<String> failureSamples;
        private final boolean interrupted;
        private final int stillInside;

        Result(String endpoint, int threads, long elapsedNanos, long calls, long failures, long p50, long p90,
                long p99, long max, Map<String, Long> answers, List<String> failureSamples, boolean interrupted,
                int stillInside) {
            this.endpoint = endpoint;
            this.threads = threads;
            this.elapsedNanos = elapsedNanos;
            this.calls = calls;
            this.failures = failures;
            this.p50 = p50;
            this.p90 = p90;
            this.p99 = p99;
            this.max = max;
            this.answers = Map.copyOf(answers);
            this.failureSamples = failureSamples;
            this.interrupted = interrupted;
            this.stillInside = stillInside;
        }

        /** True if Ctrl-C stopped it before its end: the numbers cover the calls made until then. */
        public boolean interrupted() {
            return interrupted;
        }

        public long calls() {
            return calls;
        }

        public long failures() {
            return failures;
        }

        public Map<String, Long> answers() {
            return answers;
        }

        @Override
        public String toString() {
            double seconds = elapsedNanos / 1e9;
            StringBuilder out = new StringBuilder();
            out.append("endpoint  ").append(endpoint).append(": ").append(threads).append(" threads, ")
                    .append(Math.round(seconds * 10) / 10.0).append(" s")
                    .append(interrupted ? ", stopped by Ctrl-C" : "").append('\n');
            out.append("calls     ").append(calls).append(" (").append(Math.round(calls / seconds))
                    .append("/s), failures ").append(failures).append('\n');
            out.append("latency   p50 ").append(Units.nanos(p50)).append(", p90 ").append(Units.nanos(p90))
                    .append(", p99 ").append(Units.nanos(p99)).append(", max ").append(Units.nanos(max)).append('\n');
            StringBuilder answerText = new StringBuilder();
            new TreeMap<>(answers).forEach((k, v) -> answerText.append(answerText.length() == 0 ? "" : ", ")
                    .append(k).append(' ').append(v));
            out.append("answers   ").append(answerText.length() == 0 ? "(none)" : answerText).append('\n');
            for (String sample : failureSamples) {
                out.append("failure   ").append(sample).append('\n');
            }
            if (stillInside > 0) {
                out.append("note      ").append(stillInside).append(" bench thread").append(stillInside == 1 ? " is" : "s are")
                        .append(" still inside a call of '").append(endpoint)
                        .append("' (not counted above); it stops when the call returns (see handler:list, column"
                                + " in-flight)\n");
            }
            return out.toString();
        }
    }

    private static final class Worker implements Runnable {
        final HandlerRegistry registry;
        final String endpoint;
        final HandlerRequest request;
        final long end;
        final AtomicLong remaining;
        final AtomicBoolean stop;
        final AtomicLong done = new AtomicLong(); // for the live line: plain stores, read now and then
        final AtomicLong failed = new AtomicLong();
        final LatencyHistogram latencies = new LatencyHistogram();
        final Map<String, Long> answers = new HashMap<>();
        final List<String> failureSamples = new ArrayList<>();
        long failures;
        Thread thread;

        Worker(HandlerRegistry registry, String endpoint, HandlerRequest request, long end, AtomicLong remaining,
                AtomicBoolean stop) {
            this.registry = registry;
            this.endpoint = endpoint;
            this.request = request;
            this.end = end;
            this.remaining = remaining;
            this.stop = stop;
        }

        @Override
        public void run() {
            RequestContext context = RequestContext.create();
            long now = System.nanoTime();
            while (now < end && !stop.get() && remaining.getAndDecrement() > 0) {
                String answer = null;
                String failure = null;
                try {
                    answer = firstWord(registry.execute(endpoint, context, request).body());
                } catch (RuntimeException e) {
                    failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                long after = System.nanoTime();
                if (failure == null) {
                    answers.merge(answer, 1L, Long::sum);
                } else {
                    failures++;
                    failed.lazySet(failures);
                    if (failureSamples.size() < MAX_FAILURE_SAMPLES) {
                        failureSamples.add(failure);
                    }
                }
                latencies.record(after - now);
                done.lazySet(latencies.count());
                now = after;
            }
        }

        private static String firstWord(byte[] body) {
            int n = 0;
            while (n < body.length && n < 32 && body[n] != ' ' && body[n] != '\n') {
                n++;
            }
            return n == 0 ? "(empty)" : new String(body, 0, n, StandardCharsets.UTF_8);
        }
    }
}
