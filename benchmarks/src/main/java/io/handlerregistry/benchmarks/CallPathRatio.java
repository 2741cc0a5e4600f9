package io.handlerregistry.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToLongFunction;

import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * The registry's call path against its floors, 64 B echo, interleaved in one JVM (as DispatchRatio):
 * the registry with the body-only echo (echo_body) and with the example echo (6 response headers),
 * the raw JNA call of each, and on JDK 22+ the raw {@code java.lang.foreign} downcall of each; and a
 * 64 KiB body through execute and through a reader. Each round times a block of about 10 ms of each,
 * in one order and then the reverse; ratios are taken per round. Run in a JVM of its
 * own per JDK (see RunAll); prints key=value lines. Arguments: rounds, warm-up seconds.
 */
public final class CallPathRatio {
    private static final String HEADERS = "echo";
    private static final long BLOCK_NANOS = 10_000_000;
    private static final int LARGE = 64 * 1024;

    private final Blackhole blackhole = Rounds.blackhole();
    private final RawCall raw = new RawCall(true);
    private final RawCall rawHeaders = RawCall.exampleEcho();
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
        registry.loadFrom(HEADERS, BenchHandlers.exampleEcho());
    }

    public static void main(String[] args) throws Exception {
        CallPathRatio run = new CallPathRatio();
        try {
            run.measure(Integer.parseInt(args[0]), Double.parseDouble(args[1]));
        } finally {
            run.registry.close();
            run.raw.close();
            run.rawHeaders.close();
        }
    }

    private void measure(int rounds, double warmupSeconds) {
        boolean foreign = RawCall.foreignAvailable();
        Map<String, IntToLongFunction> paths = new LinkedHashMap<>();
        paths.put("registryNs", n -> execute(BenchHandlers.ECHO, request, n));
        paths.put("headersNs", n -> execute(HEADERS, request, n));
        paths.put("rawJnaNs", n -> rawJna(raw, n));
        paths.put("rawJnaHeadersNs", n -> rawJna(rawHeaders, n));
        paths.put("largeNs", n -> execute(BenchHandlers.ECHO, large, n));
        paths.put("largeReaderNs", this::largeReader);
        if (foreign) {
            paths.put("rawForeignNs", n -> rawForeign(raw, n));
            paths.put("rawForeignHeadersNs", n -> rawForeign(rawHeaders, n));
        }
        List<String> names = new ArrayList<>(paths.keySet());
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < warmupEnd) {
            paths.values().forEach(p -> p.applyAsLong(10_000));
        }
        // calls per block, per path: each block takes about BLOCK_NANOS whatever a call costs
        int[] calls = new int[names.size()];
        for (int i = 0; i < calls.length; i++) {
            long probe = paths.get(names.get(i)).applyAsLong(1000);
            calls[i] = (int) Math.max(100, Math.min(1_000_000, 1000 * BLOCK_NANOS / Math.max(1, probe)));
        }
        Map<String, List<Double>> nanos = new LinkedHashMap<>();
        names.forEach(name -> nanos.put(name, new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            double[] t = new double[names.size()];
            for (int i = 0; i < names.size(); i++) {
                t[i] += paths.get(names.get(i)).applyAsLong(calls[i]);
            }
            for (int i = names.size() - 1; i >= 0; i--) {
                t[i] += paths.get(names.get(i)).applyAsLong(calls[i]);
            }
            for (int i = 0; i < names.size(); i++) {
                nanos.get(names.get(i)).add(t[i] / (2.0 * calls[i]));
            }
        }
        System.out.println("path=" + NativeHandlerRegistry.callPath());
        nanos.forEach((name, values) -> print(name, median(values)));
        print("registryOverRawJna", medianRatio(nanos.get("registryNs"), nanos.get("rawJnaNs")));
        print("headersOverBody", medianRatio(nanos.get("headersNs"), nanos.get("registryNs")));
        print("readerOverExecute", medianRatio(nanos.get("largeReaderNs"), nanos.get("largeNs")));
        // the floor of this JDK's path: what the example echo's headers cost a raw call, and what
        // the registry adds for them beyond that (copying names and values before handler_release)
        String floor = foreign ? "rawForeign" : "rawJna";
        print("rawHeadersOverBody", medianRatio(nanos.get(floor + "HeadersNs"), nanos.get(floor + "Ns")));
        List<Double> beyond = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            beyond.add(nanos.get("headersNs").get(r) - nanos.get("registryNs").get(r)
                    - (nanos.get(floor + "HeadersNs").get(r) - nanos.get(floor + "Ns").get(r)));
        }
        print("headersBeyondRawNs", median(beyond));
        if (foreign) {
            print("registryOverRawForeign", medianRatio(nanos.get("registryNs"), nanos.get("rawForeignNs")));
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

    private long rawJna(RawCall call, int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(call.call(body));
        }
        return System.nanoTime() - start;
    }

    private long rawForeign(RawCall call, int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(call.callForeign(body));
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
