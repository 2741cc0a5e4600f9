package io.handlerregistry.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * Throughput with 2 threads over 1 thread, echo 64 B, through the registry and through the raw
 * binding, measured interleaved in one JVM for the reason given in {@link DispatchRatio}: each
 * round times one thread making N calls and two threads making N calls each, in the order 1, 2,
 * 2, 1; the round's ratio is (2 × N / time with 2) / (N / time with 1). The same two pool threads
 * make every call, so each keeps its per-thread call memory and its request-tracking cell.
 *
 * <p>Run in a JVM of its own (see RunAll); prints key=value lines. Arguments: rounds, warm-up
 * seconds.
 */
public final class ScalingRatio {
    // one per thread, as in JMH: a Blackhole writes to its own fields
    private final ThreadLocal<Blackhole> blackhole = ThreadLocal.withInitial(Rounds::blackhole);
    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    private final ThreadLocal<RawCall> raw = ThreadLocal.withInitial(() -> new RawCall(true));
    private final RequestContext context = RequestContext.of(1);
    private final RequestContext withDeadline = RequestContext.of(2).withDeadline(Instant.now().plus(Duration.ofDays(1)));
    private final byte[] body = BenchHandlers.body(64);
    private final HandlerRequest request = HandlerRequest.builder().method("POST").body(body).build();
    private final NativeHandlerRegistry registry = BenchHandlers.openRegistry(BenchHandlers.ECHO);

    public static void main(String[] args) throws Exception {
        ScalingRatio run = new ScalingRatio();
        try {
            int rounds = Integer.parseInt(args[0]);
            double warmupSeconds = Double.parseDouble(args[1]);
            run.measure("registry", rounds, warmupSeconds, run::registryCalls);
            run.measure("registryDeadline", rounds, warmupSeconds, run::registryCallsWithDeadline);
            run.measure("raw", rounds, warmupSeconds, run::rawCalls);
            if (RawCall.foreignAvailable()) {
                run.measure("rawForeign", rounds, warmupSeconds, run::rawForeignCalls);
            }
        } finally {
            run.threads.shutdownNow();
            run.registry.close();
        }
    }

    private void measure(String path, int rounds, double warmupSeconds, Calls calls) throws Exception {
        // a: one thread makes n calls, b: two threads make n each; 2 × time(a) / time(b) is the scaling
        Rounds.interleave(rounds, warmupSeconds, n -> time(1, n, calls), n -> time(2, n, calls)).print(path, 2);
    }

    /** Wall time for {@code threadCount} pool threads to make {@code n} calls each. */
    private long time(int threadCount, int n, Calls calls) throws InterruptedException, ExecutionException {
        Callable<Void> task = () -> {
            calls.make(n);
            return null;
        };
        long start = System.nanoTime();
        List<Future<Void>> done = threads.invokeAll(threadCount == 1 ? List.of(task) : List.of(task, task));
        for (Future<Void> f : done) {
            f.get();
        }
        return System.nanoTime() - start;
    }

    private void registryCalls(int n) {
        Blackhole blackhole = this.blackhole.get();
        for (int i = 0; i < n; i++) {
            blackhole.consume(registry.execute(BenchHandlers.ECHO, context, request));
        }
    }

    /** Calls with a deadline: the registry notes each in a per-thread slot (see OverdueCalls). */
    private void registryCallsWithDeadline(int n) {
        Blackhole blackhole = this.blackhole.get();
        for (int i = 0; i < n; i++) {
            blackhole.consume(registry.execute(BenchHandlers.ECHO, withDeadline, request));
        }
    }

    private void rawCalls(int n) {
        RawCall call = raw.get();
        Blackhole blackhole = this.blackhole.get();
        for (int i = 0; i < n; i++) {
            blackhole.consume(call.call(body));
        }
    }

    private void rawForeignCalls(int n) {
        RawCall call = raw.get();
        Blackhole blackhole = this.blackhole.get();
        for (int i = 0; i < n; i++) {
            blackhole.consume(call.callForeign(body));
        }
    }

    @FunctionalInterface
    private interface Calls {
        void make(int n);
    }
}
