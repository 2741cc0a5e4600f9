package io.handlerregistry.benchmarks;


import org.openjdk.jmh.infra.Blackhole;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * registry / raw for the 64 B echo, measured interleaved in one JVM. On a shared machine the speed
 * of both moves by tens of percent from one minute to the next, so separate JMH runs of the two,
 * minutes apart, gave ratios from 0.9 to 1.7 for the same code. Here each round times a block of
 * registry calls and a block of raw calls back to back, in the order registry, raw, raw, registry
 * (a slow phase that starts or ends mid-round weighs on both), and the report is the median of the
 * rounds' ratios with its 10th and 90th percentiles.
 *
 * <p>Run in a JVM of its own (see RunAll); prints key=value lines. Arguments: rounds, warm-up
 * seconds.
 */
public final class DispatchRatio {
    private final Blackhole blackhole = Rounds.blackhole();
    private final RawCall raw = new RawCall(true);
    private final RequestContext context = RequestContext.of(1);
    private final byte[] body = BenchHandlers.body(64);
    private final HandlerRequest request = HandlerRequest.builder().method("POST").body(body).build();
    private final NativeHandlerRegistry registry = BenchHandlers.openRegistry(BenchHandlers.ECHO);

    public static void main(String[] args) throws Exception {
        DispatchRatio run = new DispatchRatio();
        try {
            run.measure(Integer.parseInt(args[0]), Double.parseDouble(args[1]));
        } finally {
            run.registry.close();
            run.raw.close();
        }
    }

    private void measure(int rounds, double warmupSeconds) throws Exception {
        Rounds r = Rounds.interleave(rounds, warmupSeconds, this::registryBlock, this::rawBlock);
        System.out.println("callsPerBlock=" + r.callsPerBlock());
        System.out.println("registryNs=" + r.nanosPerCallA());
        System.out.println("rawNs=" + r.nanosPerCallB());
        r.print("ratio", 1);
    }

    private long registryBlock(int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(registry.execute(BenchHandlers.ECHO, context, request));
        }
        return System.nanoTime() - start;
    }

    private long rawBlock(int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            blackhole.consume(raw.call(body));
        }
        return System.nanoTime() - start;
    }
}
