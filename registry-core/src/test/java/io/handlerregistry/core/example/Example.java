package io.handlerregistry.core.example;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.handlerregistry.core.HandlerRegistry;
import io.handlerregistry.core.HandlerRequest;
import io.handlerregistry.core.HandlerResponse;
import io.handlerregistry.core.LoadedHandler;
import io.handlerregistry.core.RequestContext;
import io.handlerregistry.core.SwapResult;

/**
 * The README's "run" command until the distribution exists: loads the example handlers built by
 * this module's build, calls them, and swaps one gracefully while a thread keeps calling it.
 */
public final class Example {
    private Example() {
    }

    public static void main(String[] args) throws Exception {
        Path natives = Path.of(args.length > 0 ? args[0] : "registry-core/target/native");
        try (HandlerRegistry registry = HandlerRegistry.create(natives)) {
            registry.load("echo");
            HandlerResponse echo = registry.execute("echo", RequestContext.of(1),
                    HandlerRequest.builder().method("POST").path("/demo").header("X-Demo", "yes").body("hello").build());
            System.out.printf("echo      -> %d %s, headers %s%n", echo.status(), echo.bodyAsString(), echo.headers());

            registry.loadFrom("greeting", natives.resolve("v1").resolve(HandlerRegistry.libraryFileName("greeting")));
            System.out.println("greeting  -> " + call(registry, "world"));

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong calls = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Thread caller = new Thread(() -> {
                while (running.get()) {
                    try {
                        call(registry, "load");
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                    calls.incrementAndGet();
                }
            });
            caller.start();
            while (calls.get() < 10_000) {
                Thread.onSpinWait();
            }
            SwapResult swap = registry.swapGraceful("greeting",
                    natives.resolve("v2").resolve(HandlerRegistry.libraryFileName("greeting")), Duration.ofSeconds(5));
            long atSwap = calls.get();
            while (calls.get() < atSwap + 10_000) {
                Thread.onSpinWait();
            }
            running.set(false);
            caller.join();
            System.out.printf("swap v1->v2 under load: %s; %d calls, %d failed%n", swap, calls.get(), failures.get());
            System.out.println("greeting  -> " + call(registry, "world"));
            for (LoadedHandler h : registry.handlers()) {
                System.out.printf("  %-9s %-7s %6d calls  %s%n", h.endpointId(), h.state(), h.totalCalls(), h.source());
            }
            System.out.println("stats: " + registry.stats());
        }
    }

    private static String call(HandlerRegistry registry, String body) {
        return registry.execute("greeting", RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }
}
