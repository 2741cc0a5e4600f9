package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.engine.ProcessIsolation;

/**
 * Process isolation against in-process and the raw JNA call, 64 B echo, in one JVM: per-call latency
 * (each call timed; the paths take turns in blocks so that a slow phase of the machine weighs on
 * all), throughput with 1 and 2 threads, the throughput of 2 threads over 1 measured interleaved (as
 * {@link ScalingRatio} does in-process: the same two pool threads, blocks of ~20 ms in the order 1,
 * 2, 2, 1 per round), the time from a crash to the endpoint answering again, and the memory of a
 * worker process. Run in a JVM of its own (see RunAll); prints key=value lines. Arguments: seconds
 * per throughput measurement, latency samples per path, crashes, rounds of the interleaved scaling.
 */
public final class IsolationBenchmark {
    private static final String IN = "echo_in";
    private static final String OUT = "echo_out";
    private static final String CRASHY = "crashy";

    private final Blackhole blackhole = Rounds.blackhole();
    private final RequestContext context = RequestContext.of(1);
    private final byte[] body = BenchHandlers.body(64);
    private final HandlerRequest request = HandlerRequest.builder().method("POST").body(body).build();
    private final RawCall raw = new RawCall(true);
    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final NativeHandlerRegistry registry;

    private IsolationBenchmark() {
        // crashes are measured one after the other: a window of 1 ms restarts each at once, without backoff
        registry = NativeHandlerRegistry.builder(BenchHandlers.directory()).cleanupInterval(Duration.ZERO)
                .processIsolation(ProcessIsolation.DEFAULTS.withCrashLimit(1_000_000, Duration.ofMillis(1))).build();
        registry.loadFrom(IN, BenchHandlers.library(BenchHandlers.ECHO), Isolation.IN_PROCESS);
        registry.loadFrom(OUT, BenchHandlers.library(BenchHandlers.ECHO), Isolation.PROCESS);
        registry.loadFrom(CRASHY, BenchHandlers.library("crash_body"), Isolation.PROCESS);
    }

    public static void main(String[] args) throws Exception {
        IsolationBenchmark run = new IsolationBenchmark();
        try {
            run.measure(Double.parseDouble(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                    Integer.parseInt(args[3]));
        } finally {
            run.pool.shutdownNow();
            run.registry.close();
            run.raw.close();
        }
    }

    private void measure(double seconds, int samples, int crashes, int rounds) throws Exception {
        // warm-up: every path compiled before anything is timed
        throughput(List.of(OUT), 1, Math.min(seconds, 2));
        throughput(List.of(IN), 1, Math.min(seconds, 2));
        latencies(samples / 10);

        long[][] l = latencies(samples);
        String[] names = {"raw", "inProcess", "process"};
        for (int i = 0; i < names.length; i++) {
            Arrays.sort(l[i]);
            print(names[i] + "P50Ns", l[i][l[i].length / 2]);
            print(names[i] + "P99Ns", l[i][(int) (l[i].length * 0.99)]);
        }
        print("process1ThreadPerSecond", throughput(List.of(OUT), 1, seconds));
        print("process2ThreadsPerSecond", throughput(List.of(OUT), 2, seconds));
        print("inProcess1ThreadPerSecond", throughput(List.of(IN), 1, seconds));
        print("inProcess2ThreadsPerSecond", throughput(List.of(IN), 2, seconds));
        // one pool thread makes n calls, then both make n each: 2 x time(1) / time(2) is the scaling
        Rounds.interleave(rounds, Math.min(seconds, 2), n -> time(1, n), n -> time(2, n)).print("processScaling", 2);

        long pid = registry.handler(OUT).orElseThrow().workers().orElseThrow().pids().get(0);
        print("workerRssKiB", procKiB(Path.of("/proc/" + pid + "/status"), "VmRSS:"));
        print("workerPssKiB", procKiB(Path.of("/proc/" + pid + "/smaps_rollup"), "Pss:"));
        print("workerThreads", procKiB(Path.of("/proc/" + pid + "/status"), "Threads:"));

        long[] restart = new long[crashes];
        for (int i = 0; i < crashes; i++) {
            restart[i] = crashToServing();
        }
        Arrays.sort(restart);
        print("crashToServingP50Ms", restart[crashes / 2] / 1e6);
        print("crashToServingMaxMs", restart[crashes - 1] / 1e6);
    }

    /** Each path's per-call latencies (ns), the paths taking turns in blocks of 1,000 calls. */
    private long[][] latencies(int samples) {
        long[][] result = new long[3][samples];
        for (int done = 0; done < samples; done += 1000) {
            int n = Math.min(1000, samples - done);
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                blackhole.consume(raw.call(body));
                result[0][done + i] = System.nanoTime() - start;
            }
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                blackhole.consume(registry.execute(IN, context, request));
                result[1][done + i] = System.nanoTime() - start;
            }
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                blackhole.consume(registry.execute(OUT, context, request));
                result[2][done + i] = System.nanoTime() - start;
            }
        }
        return result;
    }

    /** Calls per second, all threads together, over {@code seconds}. */
    private double throughput(List<String> endpoints, int threads, double seconds) throws InterruptedException {
        AtomicLong calls = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        long[] end = new long[1];
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            String endpoint = endpoints.get(t % endpoints.size());
            workers[t] = new Thread(() -> {
                Blackhole hole = Rounds.blackhole();
                long n = 0;
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                while (System.nanoTime() < end[0]) {
                    for (int i = 0; i < 100; i++) {
                        hole.consume(registry.execute(endpoint, context, request));
                    }
                    n += 100;
                }
                calls.addAndGet(n);
            });
            workers[t].start();
        }
        long began = System.nanoTime();
        end[0] = began + (long) (seconds * 1e9);
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        return calls.get() / ((System.nanoTime() - began) / 1e9);
    }

    /** Wall time for {@code threadCount} pool threads to make {@code n} calls each to the process-isolated echo. */
    private long time(int threadCount, int n) throws Exception {
        Callable<Void> calls = () -> {
            Blackhole hole = Rounds.blackhole();
            for (int i = 0; i < n; i++) {
                hole.consume(registry.execute(OUT, context, request));
            }
            return null;
        };
        long start = System.nanoTime();
        for (Future<Void> done : pool.invokeAll(threadCount == 1 ? List.of(calls) : List.of(calls, calls))) {
            done.get();
        }
        return System.nanoTime() - start;
    }

    /** From the call that crashes the worker to the first call answered again (ns). */
    private long crashToServing() {
        long start = System.nanoTime();
        try {
            registry.execute(CRASHY, context, HandlerRequest.of("crash"));
            throw new IllegalStateException("crash_body did not crash");
        } catch (HandlerCrashedException expected) {
            // the worker is being restarted
        }
        registry.execute(CRASHY, context, request); // waits for the restart
        return System.nanoTime() - start;
    }

    private static long procKiB(Path file, String key) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> l.startsWith(key))
                .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1L);
    }

    private static void print(String key, double value) {
        System.out.println(key + "=" + String.format(Locale.ROOT, "%.1f", value));
    }
}
