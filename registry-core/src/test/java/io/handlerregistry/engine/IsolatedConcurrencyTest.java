package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/**
 * Concurrent calls into one worker process: one worker thread at a time polls the call slots and
 * serves what it finds; a call it does not take soon (the poller is inside a slow call) wakes another
 * thread, and a slot whose calls are slow keeps a thread of its own. Every call gets its own answer,
 * whatever the number of callers against the slots, and a slow call holds up no other.
 */
class IsolatedConcurrencyTest {
    @TempDir
    Path copies;

    private final ExecutorService callers = Executors.newCachedThreadPool();
    private NativeHandlerRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        callers.shutdownNow();
        callers.awaitTermination(60, TimeUnit.SECONDS);
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry(ProcessIsolation settings) {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .processIsolation(settings).build();
        return registry;
    }

    /**
     * More callers than slots, in bursts with pauses long enough for the worker's threads to go to
     * sleep (they spin 50 µs): each call is answered with its own request, none lost, none swapped.
     */
    @Test
    void manyCallersInBurstsEachGetTheirOwnAnswer() throws Exception {
        registry(ProcessIsolation.DEFAULTS.withConcurrency(4));
        registry.loadFrom("echo", TestLibraries.library("echo"), Isolation.PROCESS);
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int caller = t;
            done.add(callers.submit(() -> {
                int answered = 0;
                for (int i = 0; i < 3_000; i++) {
                    String body = "caller " + caller + " call " + i;
                    String answer = registry.execute("echo", RequestContext.create(), HandlerRequest.of(body))
                            .bodyAsString();
                    assertThat(answer).isEqualTo(body);
                    answered++;
                    if (ThreadLocalRandom.current().nextInt(50) == 0) {
                        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(300_000)); // a pause in the burst
                    }
                }
                return answered;
            }));
        }
        for (Future<Integer> caller : done) {
            assertThat(caller.get(120, TimeUnit.SECONDS)).isEqualTo(3_000);
        }
        assertThat(registry.handler("echo").orElseThrow().workers().orElseThrow().restarts()).isZero();
    }

    /**
     * A caller whose calls keep taking a millisecond (its slot keeps the worker thread that served
     * it) beside one whose calls are quick, and a third alternating between both: all are answered.
     */
    @Test
    void slowAndQuickCallersSideBySideAreAllAnswered() throws Exception {
        registry(ProcessIsolation.DEFAULTS.withConcurrency(4));
        registry.loadFrom("slow", TestLibraries.library("slow"), Isolation.PROCESS);
        List<Future<Integer>> done = new ArrayList<>();
        for (String[] bodies : List.of(new String[] {"sleep:1"}, new String[] {"quick"},
                new String[] {"sleep:1", "sleep:1", "sleep:1", "sleep:1", "quick", "quick"})) {
            done.add(callers.submit(() -> {
                int answered = 0;
                for (int i = 0; i < (bodies[0].equals("quick") ? 5_000 : 60); i++) {
                    assertThat(registry.execute("slow", RequestContext.create(),
                            HandlerRequest.of(bodies[i % bodies.length])).bodyAsString()).isEqualTo("slow");
                    answered++;
                }
                return answered;
            }));
        }
        assertThat(done.get(0).get(60, TimeUnit.SECONDS)).isEqualTo(60);
        assertThat(done.get(1).get(60, TimeUnit.SECONDS)).isEqualTo(5_000);
        assertThat(done.get(2).get(60, TimeUnit.SECONDS)).isEqualTo(60);
    }

    /** Two calls stay inside the worker; many others, from two threads, are served meanwhile. */
    @Test
    void slowCallsHoldUpNoCallBesideThem() throws Exception {
        registry(ProcessIsolation.DEFAULTS.withConcurrency(4));
        registry.loadFrom("slow", TestLibraries.library("slow"), Isolation.PROCESS);
        Path[] gates = {copies.resolve("gate-1"), copies.resolve("gate-2")};
        List<Future<String>> slow = new ArrayList<>();
        for (Path gate : gates) {
            slow.add(callers.submit(() -> registry.execute("slow", RequestContext.create(),
                    HandlerRequest.of("wait:" + gate)).bodyAsString()));
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(Path.of(gate + ".inside")));
        }

        List<Future<Integer>> quick = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            quick.add(callers.submit(() -> {
                int answered = 0;
                for (int i = 0; i < 2_000; i++) {
                    assertThat(registry.execute("slow", RequestContext.create(), HandlerRequest.of("quick"))
                            .bodyAsString()).isEqualTo("slow");
                    answered++;
                }
                return answered;
            }));
        }
        for (Future<Integer> caller : quick) {
            assertThat(caller.get(60, TimeUnit.SECONDS)).isEqualTo(2_000);
        }
        assertThat(slow).noneMatch(Future::isDone); // still inside all along

        for (Path gate : gates) {
            Files.writeString(gate, "open");
        }
        for (Future<String> call : slow) {
            assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo("slow");
        }
    }
}
