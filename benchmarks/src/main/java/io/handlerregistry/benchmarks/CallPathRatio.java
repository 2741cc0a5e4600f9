package io.handlerregistry.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.IntToLongFunction;

import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * The registry's call path against its floors, 64 B echo, interleaved in one JVM (as DispatchRatio):
 * the registry with the body-only echo (echo_body) and with the example echo (6 response headers),
 * the raw JNA call, and on JDK 22+ the raw {@code java.lang.foreign} downcall. Each round times a
 * block of each, in one order and then the reverse; ratios are taken per round. Run in a JVM of its
 * own per JDK (see RunAll); prints key=value lines. Arguments: rounds, warm-up seconds.
 */
public final class CallPathRatio {
    private static final String HEADERS = "echo";
    private static final long BLOCK_NANOS = 10_000_000;
    private static final int LARGE = 64 * 1024;

    private final Blackhole blackhole = Rounds.blackhole();
    private final RawCall raw = new RawCall(true);
    private final RequestContext context = RequestContext.of(1);
    private final byte[] body = BenchHandlers.body(64);
    private final HandlerRequest request = HandlerRequest.builder().method("POST").body(body).build();
    private final HandlerRequest large = HandlerRequest.builder().method("POST").body(BenchHandlers.body(LARGE))
            .build();
    private final byte[] into = new byte[LARGE];
    private final NativeHandlerRegistry registry;

    private CallPathRatio() {
        registry = NativeHandlerRegistry.builder(BenchHandlers.directory()).cleanupInterval(Duration.ZERO).build();
        registry.load(BenchHandlers.ECHO);
        registry.loadFrom(HEADERS, BenchHandlers.directory().resolve("libhandler_echo.so"));
    }

    public static void main(String[] args) throws Exception {
        CallPathRatio run = new CallPathRatio();
        try {
            run.measure(Integer.parseInt(args[0]), Double.parseDouble(args[1]));
        } finally {
            run.registry.close();
            run.raw.close();
        }
    }

    private void measure(int rounds, double warmupSeconds) {
        boolean foreign = RawCall.foreignAvailable();
        List<IntToLongFunction> paths = new ArrayList<>(List.of(n -> execute(BenchHandlers.ECHO, request, n),
                n -> execute(HEADERS, request, n), this::rawJna, n -> execute(BenchHandlers.ECHO, large, n),
                this::largeReader));
        if (foreign) {
            paths.add(this::rawForeign);
        }
        int calls = 1000;
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < warmupEnd) {
            paths.forEach(p -> p.applyAsLong(10_000));
        }
        long probe = paths.get(0).applyAsLong(calls);
        calls = (int) Math.max(1000, Math.min(1_000_000, calls * BLOCK_NANOS / Math.max(1, probe)));
        List<List<Double>> nanos = new ArrayList<>();
        paths.forEach(p -> nanos.add(new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            double[] t = new double[paths.size()];
            for (int i = 0; i < paths.size(); i++) {
                t[i] += paths.get(i).applyAsLong(calls);
            }
            for (int i = paths.size() - 1; i >= 0; i--) {
                t[i] += paths.get(i).applyAsLong(calls);
            }
            for (int i = 0; i < paths.size(); i++) {
                nanos.get(i).add(t[i] / (2.0 * calls));
            }
        }
        System.out.println("path=" + NativeHandlerRegistry.callPath());
        print("registryNs", median(nanos.get(0)));
        print("headersNs", median(nanos.get(1)));
        print("rawJnaNs", median(nanos.get(2)));
        print("registryOverRawJna", medianRatio(nanos.get(0), nanos.get(2)));
        print("headersOverBody", medianRatio(nanos.get(1), nanos.get(0)));
        print("largeNs", median(nanos.get(3)));
        print("largeReaderNs", median(nanos.get(4)));
        print("readerOverExecute", medianRatio(nanos.get(4), nanos.get(3)));
        if (foreign) {
            print("rawForeignNs", median(nanos.get(5)));
            print("registryOverRawForeign", medianRatio(nanos.get(0), nanos.get(5)));
        }
    }

    /** {@code calls} calls of {@code execute}, timed: the response body becomes a new array each time. */
    private long execute(String endpoint, HandlerRequest with, int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(registry.execute(endpoint, context, with));
        }
        return System.nanoTime() - start;
    }

    /** 64 KiB echo_body through a ResponseReader that copies the body into one reused array (as into a socket buffer). */
    private long largeReader(int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(registry.execute(BenchHandlers.ECHO, context, large, (response, body) -> {
                int n = body.remaining();
                body.get(into, 0, n);
                return n;
            }));
        }
        return System.nanoTime() - start;
    }

    private long rawJna(int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(raw.call(body));
        }
        return System.nanoTime() - start;
    }

    private long rawForeign(int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(raw.callForeign(body));
        }
        return System.nanoTime() - start;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static double medianRatio(List<Double> a, List<Double> b) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ratios.add(a.get(i) / b.get(i));
        }
        return median(ratios);
    }

    private static void print(String key, double value) {
        System.out.println(key + "=" + String.format(Locale.ROOT, "%.3f", value));
    }

}
