package io.handlerregistry.shell.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
    private static final int MAX_FAILURE_SAMPLES = 3;

    private Bench() {
    }

    static Result run(HandlerRegistry registry, String endpoint, HandlerRequest request, int threads,
            long durationNanos, long calls) throws InterruptedException {
        long start = System.nanoTime();
        long end = calls > 0 ? Long.MAX_VALUE : start + durationNanos;
        AtomicLong remaining = new AtomicLong(calls > 0 ? calls : Long.MAX_VALUE);
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(registry, endpoint, request, end, remaining);
            w.thread = new Thread(w, "handler-bench-" + endpoint + "-" + i);
            workers.add(w);
        }
        workers.forEach(w -> w.thread.start());
        for (Worker w : workers) {
            w.thread.join();
        }
        long elapsed = System.nanoTime() - start;
        LatencyHistogram latencies = new LatencyHistogram();
        Map<String, Long> answers = new TreeMap<>();
        Set<String> samples = new LinkedHashSet<>();
        long failures = 0;
        for (Worker w : workers) {
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
                latencies.percentile(90), latencies.percentile(99), latencies.max(), answers, List.copyOf(samples));
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

        Result(String endpoint, int threads, long elapsedNanos, long calls, long failures, long p50, long p90,
                long p99, long max, Map<String, Long> answers, List<String> failureSamples) {
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
                    .append(Math.round(seconds * 10) / 10.0).append(" s\n");
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
            return out.toString();
        }
    }

    private static final class Worker implements Runnable {
        final HandlerRegistry registry;
        final String endpoint;
        final HandlerRequest request;
        final long end;
        final AtomicLong remaining;
        final LatencyHistogram latencies = new LatencyHistogram();
        final Map<String, Long> answers = new HashMap<>();
        final List<String> failureSamples = new ArrayList<>();
        long failures;
        Thread thread;

        Worker(HandlerRegistry registry, String endpoint, HandlerRequest request, long end, AtomicLong remaining) {
            this.registry = registry;
            this.endpoint = endpoint;
            this.request = request;
            this.end = end;
            this.remaining = remaining;
        }

        @Override
        public void run() {
            RequestContext context = RequestContext.create();
            long now = System.nanoTime();
            while (now < end && remaining.getAndDecrement() > 0) {
                try {
                    byte[] body = registry.execute(endpoint, context, request).body();
                    answers.merge(firstWord(body), 1L, Long::sum);
                } catch (RuntimeException e) {
                    failures++;
                    if (failureSamples.size() < MAX_FAILURE_SAMPLES) {
                        failureSamples.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                }
                long after = System.nanoTime();
                latencies.record(after - now);
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
