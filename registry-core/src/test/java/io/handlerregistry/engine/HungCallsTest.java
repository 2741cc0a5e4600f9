package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.RequestContext;

/**
 * Hung calls are bounded: an endpoint's calls are limited (a hung handler holds at most that many
 * threads, and the other endpoints keep serving), calls stuck past their deadline are counted, and a
 * timeout says whether the call ever started. The slow handler holds calls until a gate opens.
 */
class HungCallsTest {
    @TempDir
    Path copies;
    @TempDir
    Path gates;

    private final List<Gate> opened = new ArrayList<>();
    /** Threads for calls that block (the common pool may have one thread on 2 cores). */
    private final ExecutorService callers = Executors.newCachedThreadPool();
    private NativeHandlerRegistry registry;
    private ExecutorService executor;

    @AfterEach
    void stop() throws InterruptedException {
        opened.forEach(Gate::open);
        callers.shutdown();
        callers.awaitTermination(30, TimeUnit.SECONDS);
        if (registry != null) {
            registry.close();
        }
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHungHandlerHoldsNoMoreThanItsLimitAndTheOtherEndpointsKeepServing() {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callLimits(3, 0));
        Gate gate = gate("hang");
        List<CompletableFuture<?>> hung = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hung.add(CompletableFuture.runAsync(() -> call("slow", gate.request()), callers));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 3);

        assertThatThrownBy(() -> call("slow", HandlerRequest.of("sleep:0")))
                .isInstanceOfSatisfying(HandlerOverloadedException.class, e -> assertThat(e.limit()).isEqualTo(3))
                .hasMessageContaining("endpoint 'slow' refused the call without starting it")
                .hasMessageContaining("3 calls are inside its version from " + TestLibraries.library("slow")
                        .toAbsolutePath())
                .hasMessageContaining("calls do not wait for a place (max.waiting.calls is 0)")
                .hasMessageContaining("handler:info slow");
        assertThat(call("echo", HandlerRequest.of("fine"))).isEqualTo("fine");

        // the fix: a version swapped in has places of its own while the hung calls drain
        registry.swap("slow", TestLibraries.version("v2", "slow"));
        assertThat(call("slow", HandlerRequest.of("sleep:0"))).isEqualTo("v2");

        gate.open();
        hung.forEach(CompletableFuture::join);
    }

    @Test
    void aLimitAboveTheStripeQuotasIsNeverExceeded() throws Exception {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callLimits(40, 0));
        Gate gate = gate("hang");
        executor = Executors.newFixedThreadPool(100);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> call("slow", gate.request()), executor));
        }
        // settled: every call is either inside (held by the gate) or refused
        await().atMost(Duration.ofSeconds(20)).until(() -> calls.stream().filter(CompletableFuture::isDone).count()
                + registry.handler("slow").orElseThrow().activeRequests() == 100
                && calls.stream().filter(CompletableFuture::isDone).allMatch(c -> c.isCompletedExceptionally()));
        long inside = registry.handler("slow").orElseThrow().activeRequests();
        assertThat(inside).isBetween(24L, 40L); // all the extra places, and some of the stripes' quotas
        for (CompletableFuture<String> call : calls) {
            if (call.isDone()) {
                assertThatThrownBy(call::join).hasCauseInstanceOf(HandlerOverloadedException.class);
            }
        }

        gate.open();
        await().atMost(Duration.ofSeconds(20)).until(() -> calls.stream().allMatch(CompletableFuture::isDone));
        assertThat(calls.stream().filter(c -> !c.isCompletedExceptionally()).count()).isEqualTo(inside);
        assertThat(call("slow", HandlerRequest.of("sleep:0"))).isEqualTo("slow");
    }

    @Test
    void timedOutCallsGrowTheDefaultExecutorOnlyUpToTheLimitAndAreCountedAsOverdue() {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callLimits(4, 0));
        Gate gate = gate("hang");
        long threadsBefore = callThreads();
        int timedOut = 0;
        int refused = 0;
        for (int i = 0; i < 100; i++) {
            try {
                registry.executeWithTimeout("slow", RequestContext.create(), gate.request(), Duration.ofMillis(20));
            } catch (HandlerTimeoutException e) {
                assertThat(e.started()).isTrue();
                assertThat(e).hasMessageContaining("still runs in native code");
                timedOut++;
            } catch (HandlerOverloadedException e) {
                refused++;
            }
        }
        assertThat(timedOut).isEqualTo(4);
        assertThat(refused).isEqualTo(96);
        // 4 hung, and a few more only while a refused call's thread was not yet idle again (100 before the limit)
        assertThat(callThreads() - threadsBefore).isLessThan(20);

        await().atMost(Duration.ofSeconds(10)).until(() -> registry.stats().overdueRequests() == 4);
        assertThat(registry.handler("slow").orElseThrow().overdueCalls()).isEqualTo(4);
        assertThat(registry.handler("echo").orElseThrow().overdueCalls()).isZero();
        assertThat(call("echo", HandlerRequest.of("fine"))).isEqualTo("fine");

        gate.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.stats().overdueRequests() == 0);
        assertThat(registry.stats().activeRequests()).isZero();
    }

    @Test
    void aTimeoutSaysTheCallNeverStartedWhenItWaitedForAThreadAndItThenNeverRuns() throws Exception {
        executor = Executors.newSingleThreadExecutor();
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callExecutor(executor));
        Gate gate = gate("hang");
        CompletableFuture<?> hung = registry.executeAsync("slow", RequestContext.create(), gate.request());
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 1);

        assertThatThrownBy(() -> registry.executeWithTimeout("echo", RequestContext.create(), HandlerRequest.of("late"),
                Duration.ofMillis(100))).isInstanceOfSatisfying(HandlerTimeoutException.class,
                        e -> assertThat(e.started()).isFalse())
                .hasMessageContaining("the call to endpoint 'echo' was not started within 100 ms")
                .hasMessageContaining("will not run").hasMessageNotContaining("still runs");

        gate.open();
        hung.get(10, TimeUnit.SECONDS);
        executor.submit(() -> { }).get(10, TimeUnit.SECONDS); // the queue has been worked off
        assertThat(registry.handler("echo").orElseThrow().totalCalls()).isZero(); // withdrawn, never ran
    }

    @Test
    void onABoundedExecutorTheHungCallsOfOneVersionNeverTakeEveryThreadTheOtherEndpointsNeed() throws Exception {
        executor = Executors.newFixedThreadPool(4);
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callExecutor(executor));
        Gate gate = gate("hang");
        List<CompletableFuture<HandlerResponse>> hung = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            hung.add(CompletableFuture.supplyAsync(() -> registry.executeWithTimeout("slow", RequestContext.create(),
                    gate.request(), Duration.ofMillis(200)), callers));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 2);
        for (CompletableFuture<HandlerResponse> call : hung) {
            assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                    .isInstanceOf(HandlerTimeoutException.class);
        }

        // its share of the 4 threads is 2, both held by hung calls: more calls of it are refused at once
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> registry.executeWithTimeout("slow", RequestContext.create(),
                    HandlerRequest.of("sleep:0"), Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(HandlerOverloadedException.class, e -> assertThat(e.limit()).isEqualTo(2))
                    .hasMessageContaining("endpoint 'slow' refused the call without starting it")
                    .hasMessageContaining("its share of the executor's 4 threads");
        }
        assertThat(registry.executeAsync("slow", RequestContext.create(), HandlerRequest.of("sleep:0")))
                .failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .isInstanceOf(HandlerOverloadedException.class);
        // and a healthy endpoint's timed calls find threads (before: its call never started)
        for (int i = 0; i < 20; i++) {
            assertThat(registry.executeWithTimeout("echo", RequestContext.create(), HandlerRequest.of("fine"),
                    Duration.ofSeconds(30)).bodyAsString()).isEqualTo("fine");
        }

        gate.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 0);
        // the threads are given back: the slow endpoint has its share again
        assertThat(registry.executeWithTimeout("slow", RequestContext.create(), HandlerRequest.of("sleep:0"),
                Duration.ofSeconds(30)).bodyAsString()).isNotEmpty();
    }

        @Test
    void aCallOverTheLimitWaitsForAPlaceUntilItsDeadlineWhenThereIsRoomToWait() throws Exception {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callLimits(1, 1));
        Gate gate = gate("hang");
        CompletableFuture<?> hung = CompletableFuture.runAsync(() -> call("slow", gate.request()), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 1);

        CompletableFuture<String> waiter = waitingCall();

        assertThatThrownBy(() -> call("slow", HandlerRequest.of("sleep:0"), Duration.ofSeconds(30)))
                .isInstanceOf(HandlerOverloadedException.class).hasMessageContaining("1 call waits already");
        assertThatThrownBy(() -> call("slow", HandlerRequest.of("sleep:0")))
                .isInstanceOf(HandlerOverloadedException.class).hasMessageContaining("no deadline");
        assertThat(waiter).isNotDone();

        gate.open(); // the hung call returns: the waiter gets its place
        hung.get(10, TimeUnit.SECONDS);
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo("slow");
    }

    @Test
    void aWaitingCallIsRefusedWhenItsDeadlinePassesAndARaisedLimitLetsWaitersIn() throws Exception {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()).callLimits(1, 5));
        Gate gate = gate("hang");
        CompletableFuture.runAsync(() -> call("slow", gate.request()), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 1);

        assertThatThrownBy(() -> call("slow", HandlerRequest.of("sleep:0"), Duration.ofMillis(200)))
                .isInstanceOf(HandlerOverloadedException.class)
                .hasMessageContaining("its deadline passed while it waited for a place");

        CompletableFuture<String> waiter = waitingCall();
        registry.configureLimits(2, 5); // in place: the hung call keeps its place, the waiter gets the new one
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo("slow");
    }

    @Test
    void aCallStuckPastItsDeadlineIsOverdueOnItsVersionAlsoAfterASwap() {
        registry = registry(NativeHandlerRegistry.builder(TestLibraries.dir()));
        Gate gate = gate("hang");
        RequestContext shortDeadline = RequestContext.create().withDeadline(Instant.now().plusMillis(50));
        CompletableFuture<?> stuck = CompletableFuture.runAsync(
                () -> registry.execute("slow", shortDeadline, gate.request()), callers);
        CompletableFuture<?> patient = CompletableFuture.runAsync(() -> call("slow", gate.request(),
                Duration.ofHours(1)), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().activeRequests() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.handler("slow").orElseThrow().overdueCalls() == 1);

        registry.swap("slow", TestLibraries.version("v2", "slow"));
        var old = registry.handlers().stream().filter(h -> h.state() == HandlerState.DRAINING).findFirst().orElseThrow();
        assertThat(old.overdueCalls()).isEqualTo(1);
        assertThat(registry.handler("slow").orElseThrow().overdueCalls()).isZero();
        assertThat(registry.stats().overdueRequests()).isEqualTo(1);

        gate.open();
        stuck.join();
        patient.join();
        assertThat(old.overdueCalls()).isZero();
    }

    /** A call to the slow endpoint (30 s deadline) on a thread of its own, once it waits for a place. */
    private CompletableFuture<String> waitingCall() {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                result.complete(call("slow", HandlerRequest.of("sleep:0"), Duration.ofSeconds(30)));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        caller.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> caller.getState() == Thread.State.TIMED_WAITING);
        return result;
    }

    private NativeHandlerRegistry registry(NativeHandlerRegistry.Builder builder) {
        NativeHandlerRegistry r = builder.copyDirectory(copies).build();
        r.load("slow");
        r.load("echo");
        return r;
    }

    private Gate gate(String name) {
        Gate gate = new Gate(gates, name);
        opened.add(gate);
        return gate;
    }

    private String call(String endpoint, HandlerRequest request) {
        return registry.execute(endpoint, RequestContext.create(), request).bodyAsString();
    }

    private String call(String endpoint, HandlerRequest request, Duration deadline) {
        return registry.execute(endpoint, RequestContext.create().withDeadline(Instant.now().plus(deadline)), request)
                .bodyAsString();
    }

    /** Live threads of registries' default call executors. */
    private static long callThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("handler-call-"))
                .count();
    }
}
