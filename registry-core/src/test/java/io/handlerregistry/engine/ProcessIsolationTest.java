package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.WorkerStatus;

/**
 * Process isolation on real gcc-built libraries: the faults that end the JVM in-process (crashy.c,
 * ctor_abort.c) end only the endpoint's worker process, which is restarted, while the JVM and the
 * other endpoints keep serving; hung calls are really ended; swaps lose no call; no worker process
 * outlives its registry or its JVM.
 */
class ProcessIsolationTest {
    @TempDir
    Path copies;

    private final ExecutorService callers = Executors.newCachedThreadPool();
    private NativeHandlerRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        callers.shutdownNow();
        callers.awaitTermination(30, TimeUnit.SECONDS);
        if (registry != null) {
            registry.close();
        }
    }

    private NativeHandlerRegistry registry(ProcessIsolation settings) {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .processIsolation(settings).build();
        return registry;
    }

    private NativeHandlerRegistry registry() {
        return registry(ProcessIsolation.DEFAULTS);
    }

    private static String call(NativeHandlerRegistry registry, String endpoint, String body) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }

    private static long workerPid(NativeHandlerRegistry registry, String endpoint) {
        List<Long> pids = registry.handler(endpoint).orElseThrow().workers().orElseThrow().pids();
        assertThat(pids).hasSize(1);
        return pids.get(0);
    }

    /** Alive and not a zombie, from the process table. */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aProcessIsolatedHandlerAnswersLikeTheSameLibraryInProcess() {
        registry();
        registry.loadFrom("inside", TestLibraries.library("echo"), Isolation.IN_PROCESS);
        LoadedHandler isolated = registry.loadFrom("outside", TestLibraries.library("echo"), Isolation.PROCESS);
        HandlerRequest request = HandlerRequest.builder().method("PUT").path("/orders/42").query("a=1&b=2")
                .header("X-One", "1").header("x-two", "zwei ünd drei").body("body bytes \u0000 with a NUL").build();

        HandlerResponse inside = registry.execute("inside", RequestContext.of(7), request);
        HandlerResponse outside = registry.execute("outside", RequestContext.of(7), request);

        assertThat(outside.status()).isEqualTo(inside.status());
        assertThat(outside.headers().get(0)).isEqualTo(new Header("x-endpoint", "outside"));
        assertThat(outside.headers().subList(1, 8)).isEqualTo(inside.headers().subList(1, 8));
        assertThat(outside.body()).isEqualTo(inside.body());
        assertThat(isolated.isolation()).isEqualTo(Isolation.PROCESS);
        assertThat(registry.handler("inside").orElseThrow().isolation()).isEqualTo(Isolation.IN_PROCESS);
        long pid = workerPid(registry, "outside");
        assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(running(pid)).isTrue();
        assertThat(isolated.workers().orElseThrow().restarts()).isZero();
    }

    @Test
    void handlerErrorsAndBrokenResponsesAreTheSameExceptionsAsInProcess() {
        registry();
        registry.loadFrom("faults", TestLibraries.library("faults"), Isolation.PROCESS);

        assertThatThrownBy(() -> call(registry, "faults", "long-error")).isInstanceOf(HandlerFailedException.class)
                .satisfies(e -> assertThat(((HandlerFailedException) e).code()).isEqualTo(9));
        assertThatThrownBy(() -> call(registry, "faults", "overread")).isExactlyInstanceOf(HandlerException.class)
                .hasMessageContaining("invalid response").hasMessageContaining("body");
        assertThatThrownBy(() -> call(registry, "faults", "status:700")).hasMessageContaining("status 700");
        assertThat(call(registry, "faults", "echo-request")).isEqualTo("echo-request");
        assertThat(call(registry, "faults", "scratch")).hasSize(64 * 1024).containsOnlyOnce("s".repeat(64 * 1024));
        assertThat(call(registry, "faults", "scribble")).isEqualTo("scribbled");
        assertThat(call(registry, "faults", "anything")).isEqualTo("fine");
    }

    @ParameterizedTest
    @CsvSource({
        "exit,     exited with code 3,",
        "abort,    signal 6 (SIGABRT),    crashy: giving up on purpose",
        "segv,     signal 11 (SIGSEGV),",
        "overrun,  (SIG,",
        "unmapped, signal 11 (SIGSEGV),",
    })
    void aCrashEndsOnlyTheWorkerAndTheEndpointServesAgainAfterItsRestart(String fault, String ending,
            String output) {
        registry();
        registry.load("echo"); // in-process, beside it
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        long before = workerPid(registry, "crashy");

        assertThatThrownBy(() -> call(registry, "crashy", fault)).isInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("endpoint 'crashy'").hasMessageContaining(String.valueOf(before))
                .hasMessageContaining(ending.strip())
                .satisfies(e -> {
                    if (output != null) {
                        assertThat(e).hasMessageContaining(output.strip());
                        assertThat(((HandlerCrashedException) e).lastOutput()).contains(output.strip());
                    }
                    assertThat(((HandlerCrashedException) e).failed()).isFalse();
                });

        assertThat(call(registry, "echo", "still here")).isEqualTo("still here");
        assertThat(call(registry, "crashy", "hello")).startsWith("alive ").isNotEqualTo("alive " + before);
        WorkerStatus status = registry.handler("crashy").orElseThrow().workers().orElseThrow();
        assertThat(status.restarts()).isEqualTo(1);
        assertThat(status.lastCrash()).hasValueSatisfying(text -> assertThat(text).contains(ending.strip()));
        assertThat(running(before)).isFalse();
        assertThat(registry.handler("crashy").orElseThrow().state()).isEqualTo(HandlerState.ACTIVE);
    }

    /**
     * A worker that crashes at the first call after its restart is heard like any other: the call after
     * that goes to its successor. (Its end went unheard when the restart made it serve before listening to
     * it, and the next call was told of its crash instead; seen once in CI, in the benchmark's crash loop.
     * The window is a few instructions wide: this test, run here before the fix with both cores busy, did
     * not hit it; it guards the order, the CI log is the evidence.)
     */
    @Test
    void aWorkerThatCrashesRightAfterItsRestartIsRestartedAgainAndTheNextCallIsAnswered() {
        registry(ProcessIsolation.DEFAULTS.withCrashLimit(1_000_000, Duration.ofMillis(1)));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        for (int i = 0; i < 30; i++) {
            assertThatThrownBy(() -> call(registry, "crashy", "abort")).isInstanceOf(HandlerCrashedException.class);
            assertThat(call(registry, "crashy", "hello")).as("the call after crash " + (i + 1)).startsWith("alive ");
        }
        assertThat(registry.handler("crashy").orElseThrow().workers().orElseThrow().restarts()).isEqualTo(30);
    }

    @Test
    void aLibraryWhoseConstructorAbortsIsRefusedAndTheServingVersionKeepsServing() {
        registry();
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        assertThatThrownBy(() -> registry.swapGraceful("crashy", TestLibraries.library("ctor_abort"),
                Duration.ofSeconds(5), Isolation.PROCESS))
                .isInstanceOf(HandlerLoadException.class)
                .hasMessageContaining("signal 6 (SIGABRT)")
                .hasMessageContaining("ctor_abort: the constructor gives up")
                .satisfies(e -> assertThat(((HandlerLoadException) e).reason()).isEqualTo(Reason.LOAD_FAILED));
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ");
        assertThatThrownBy(() -> registry.loadFrom("ctor", TestLibraries.library("ctor_abort"), Isolation.PROCESS))
                .isInstanceOf(HandlerLoadException.class);
        assertThat(registry.isLoaded("ctor")).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "failing_init, INIT_FAILED",
        "abi_mismatch, ABI_MISMATCH",
        "unresolved,   UNRESOLVED_SYMBOL",
        "no_entry,     MISSING_EXPORT",
        "no_abi,       MISSING_EXPORT",
        "missing_dep,  MISSING_DEPENDENCY",
    })
    void aLibraryTheWorkerRefusesGetsTheSameReasonAsInProcess(String library, Reason reason) {
        registry();
        HandlerLoadException inProcess = org.junit.jupiter.api.Assertions.assertThrows(HandlerLoadException.class,
                () -> registry.loadFrom("x", TestLibraries.library(library), Isolation.IN_PROCESS));
        HandlerLoadException isolated = org.junit.jupiter.api.Assertions.assertThrows(HandlerLoadException.class,
                () -> registry.loadFrom("x", TestLibraries.library(library), Isolation.PROCESS));

        assertThat(isolated.reason()).isEqualTo(reason).isEqualTo(inProcess.reason());
        assertThat(isolated.getMessage()).isEqualTo(inProcess.getMessage());
        assertThat(registry.isLoaded("x")).isFalse();
    }

    @Test
    void aCallPastItsDeadlineAndTheGraceGetsItsWorkerKilledAndNothingIsLeftBehind() {
        registry(ProcessIsolation.DEFAULTS.withHangGrace(Duration.ofMillis(200)));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        long before = workerPid(registry, "crashy");

        RequestContext soon = RequestContext.create().withDeadline(Instant.now().plusMillis(300));
        assertThatThrownBy(() -> registry.execute("crashy", soon, HandlerRequest.of("hang")))
                .isInstanceOf(HandlerTimeoutException.class)
                .hasMessageContaining("killed").hasMessageContaining(String.valueOf(before));

        await().atMost(Duration.ofSeconds(10)).until(() -> !running(before));
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ").isNotEqualTo("alive " + before);
        assertThat(registry.handler("crashy").orElseThrow().activeRequests()).isZero();
        assertThat(registry.handler("crashy").orElseThrow().overdueCalls()).isZero();

        // executeWithTimeout: the caller returns at its timeout, the worker is killed after the grace
        long second = workerPid(registry, "crashy");
        assertThatThrownBy(() -> registry.executeWithTimeout("crashy", RequestContext.create(),
                HandlerRequest.of("hang"), Duration.ofMillis(100)))
                .isInstanceOf(HandlerTimeoutException.class).hasMessageContaining("process isolation");
        await().atMost(Duration.ofSeconds(10)).until(() -> !running(second));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.handler("crashy").orElseThrow().activeRequests() == 0);
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ");
    }

    @Test
    void aWorkerOverItsCpuLimitIsEndedAndRestarted() {
        registry(ProcessIsolation.DEFAULTS.withLimits(0, 1));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        assertThatThrownBy(() -> call(registry, "crashy", "spin")).isInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("signal 24 (SIGXCPU)");
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ");
    }

    @Test
    void aWorkerOverItsMemoryLimitFailsItsAllocationsAndOnlyThem() {
        registry(ProcessIsolation.DEFAULTS.withLimits(128L << 20, 0));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        assertThat(call(registry, "crashy", "alloc:16")).startsWith("alive ");
        assertThatThrownBy(() -> call(registry, "crashy", "alloc:512")).isInstanceOf(HandlerFailedException.class)
                .hasMessageContaining("malloc failed");
        assertThat(registry.handler("crashy").orElseThrow().workers().orElseThrow().restarts()).isZero();

        registry.configureIsolation(Isolation.IN_PROCESS, java.util.Map.of(),
                ProcessIsolation.DEFAULTS.withLimits(16L << 20, 0)); // less than its threads' stacks
        assertThatThrownBy(() -> registry.swapGraceful("crashy", TestLibraries.library("crashy"),
                Duration.ofSeconds(5), Isolation.PROCESS))
                .isInstanceOf(HandlerLoadException.class).hasMessageContaining("raise process.memory.limit.mb");
        assertThat(call(registry, "crashy", "alloc:1")).startsWith("alive ");
    }

    @Test
    void theWorkerRunsInitOnceAndShutdownWhenItsVersionIsSwappedOut(@TempDir Path work) throws IOException {
        registry();
        Path library = TestLibraries.install(TestLibraries.library("lifecycle"), work.resolve("liblifecycle.so"));
        Path events = work.resolve("liblifecycle.so.events");
        registry.loadFrom("svc", library, Isolation.PROCESS);
        assertThat(Files.readString(events)).isEqualTo("init\n");
        assertThat(call(registry, "svc", "x")).contains("endpoint=svc", "path=" + library.toAbsolutePath());

        registry.swapGraceful("svc", library, Duration.ofSeconds(10), Isolation.PROCESS);

        assertThat(Files.readString(events)).isEqualTo("init\ninit\nshutdown\n");
        assertThat(workers()).hasSize(1);
    }

    @Test
    void aWorkerWhoseShutdownHangsIsKilledAfterTheShutdownTimeout(@TempDir Path work) throws IOException {
        registry(ProcessIsolation.DEFAULTS.withShutdownTimeout(Duration.ofMillis(300)));
        Path library = TestLibraries.install(TestLibraries.library("hooks"), work.resolve("libhandler_hooks.so"));
        Files.writeString(work.resolve("libhandler_hooks.so.shutdown-hold"), "hold");
        registry.loadFrom("svc", library, Isolation.PROCESS);
        long pid = workerPid(registry, "svc");

        registry.unload("svc");

        await().atMost(Duration.ofSeconds(10)).until(() -> !running(pid));
        assertThat(Files.readString(work.resolve("libhandler_hooks.so.events")))
                .isEqualTo("init\ninit returned\nshutdown\n"); // killed inside it
        assertThat(workers()).isEmpty();
    }

    @Test
    void anInitPastTheInitTimeoutIsRefusedAndItsWorkerKilled(@TempDir Path work) throws IOException {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .initTimeout(Duration.ofMillis(300)).build();
        registry.loadFrom("svc", TestLibraries.library("echo"), Isolation.PROCESS);
        Path library = TestLibraries.install(TestLibraries.library("hooks"), work.resolve("libhandler_hooks.so"));
        Files.writeString(work.resolve("libhandler_hooks.so.init-hold"), "hold");

        assertThatThrownBy(() -> registry.swapGraceful("svc", library, Duration.ofSeconds(5), Isolation.PROCESS))
                .isInstanceOfSatisfying(HandlerLoadException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INIT_TIMEOUT))
                .hasMessageContaining("was killed");

        assertThat(call(registry, "svc", "still")).isEqualTo("still");
        await().atMost(Duration.ofSeconds(10)).until(() -> workers().size() == 1); // the echo worker only
    }

    /** This JVM's worker processes, from the process table. */
    private static List<ProcessHandle> workers() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.contains("handler-worker")).orElse(false))
                .filter(p -> running(p.pid())).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void aThreadLeftRunningEndsWithItsWorkerWhenTheVersionIsSwappedOut() {
        registry();
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        long before = workerPid(registry, "crashy");
        assertThat(call(registry, "crashy", "thread")).isEqualTo("alive " + before);

        registry.swapGraceful("crashy", TestLibraries.library("crashy"), Duration.ofSeconds(10), Isolation.PROCESS);

        await().atMost(Duration.ofSeconds(15)).until(() -> !running(before));
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ").isNotEqualTo("alive " + before);
    }

    @Test
    void aVersionThatKeepsCrashingIsFailedUntilAFixedOneIsSwappedIn() {
        registry(ProcessIsolation.DEFAULTS.withCrashLimit(3, Duration.ofMinutes(1)));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> call(registry, "crashy", "segv")).isInstanceOf(HandlerCrashedException.class);
            assertThat(call(registry, "crashy", "hi")).startsWith("alive ");
        }
        assertThatThrownBy(() -> call(registry, "crashy", "segv")).isInstanceOf(HandlerCrashedException.class);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.handler("crashy").orElseThrow().state() == HandlerState.FAILED);
        // a call after that never reached a worker: it is told so, with the crash that failed the version
        assertThatThrownBy(() -> call(registry, "crashy", "hi")).isInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("no longer restarted")
                .hasMessageContaining("3 crashes within 60 s")
                .hasMessageContaining("the call was not started")
                .hasMessageContaining("the last: worker process")
                .hasMessageNotContaining("while the call was inside it")
                .satisfies(e -> assertThat(((HandlerCrashedException) e).failed()).isTrue());
        assertThat(registry.stats().failedCount()).isEqualTo(1);
        assertThat(registry.handler("crashy").orElseThrow().workers().orElseThrow().failed()).isTrue();

        registry.swapGraceful("crashy", TestLibraries.library("echo"), Duration.ofSeconds(5), Isolation.PROCESS);
        assertThat(call(registry, "crashy", "fixed")).isEqualTo("fixed");
        assertThat(registry.stats().failedCount()).isZero();
    }

    @Test
    void hungCallsGetTheirWorkerKilledAndRestartedEveryTimeButAreNotCrashes() {
        registry(ProcessIsolation.DEFAULTS.withHangGrace(Duration.ofMillis(50)).withCrashLimit(2, Duration.ofMinutes(1)));
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);

        for (int i = 0; i < 4; i++) { // twice the crash limit
            long before = workerPid(registry, "crashy");
            RequestContext soon = RequestContext.create().withDeadline(Instant.now().plusMillis(100));
            assertThatThrownBy(() -> registry.execute("crashy", soon, HandlerRequest.of("hang")))
                    .isInstanceOf(HandlerTimeoutException.class).hasMessageContaining("killed");
            assertThat(call(registry, "crashy", "hi")).startsWith("alive ").isNotEqualTo("alive " + before);
        }

        LoadedHandler crashy = registry.handler("crashy").orElseThrow();
        assertThat(crashy.state()).isEqualTo(HandlerState.ACTIVE);
        WorkerStatus status = crashy.workers().orElseThrow();
        assertThat(status.hangKills()).isEqualTo(4);
        assertThat(status.crashes()).isZero();
        assertThat(status.restarts()).isEqualTo(4);
        assertThat(status.failed()).isFalse();
        assertThat(status.lastCrash()).hasValueSatisfying(text -> assertThat(text).contains("still inside"));

        // crashes still count: the limit of 2 fails the version, whatever the hangs before
        assertThatThrownBy(() -> call(registry, "crashy", "segv")).isInstanceOf(HandlerCrashedException.class);
        assertThat(call(registry, "crashy", "hi")).startsWith("alive ");
        assertThatThrownBy(() -> call(registry, "crashy", "segv")).isInstanceOf(HandlerCrashedException.class);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.handler("crashy").orElseThrow().state() == HandlerState.FAILED);
        WorkerStatus after = registry.handler("crashy").orElseThrow().workers().orElseThrow();
        assertThat(after.crashes()).isEqualTo(2);
        assertThat(after.hangKills()).isEqualTo(4);
    }

    @Test
    void aGracefulSwapUnderContinuousLoadLosesNoCall() throws Exception {
        registry();
        registry.loadFrom("greeting", TestLibraries.version("v1", "greeting"), Isolation.PROCESS);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong calls = new AtomicLong();
        List<Future<List<Throwable>>> loads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            loads.add(callers.submit(() -> {
                List<Throwable> failures = new ArrayList<>();
                while (running.get()) {
                    try {
                        registry.execute("greeting", RequestContext.create(), HandlerRequest.of("x"));
                        calls.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
                return failures;
            }));
        }
        List<Long> oldWorkers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (registry.handler("greeting").orElseThrow().isolation() == Isolation.PROCESS) {
                oldWorkers.add(workerPid(registry, "greeting"));
            }
            long before = calls.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() > before + 100);
            registry.swapGraceful("greeting", TestLibraries.version(i % 2 == 0 ? "v2" : "v1", "greeting"),
                    Duration.ofSeconds(10), i % 3 == 2 ? Isolation.IN_PROCESS : Isolation.PROCESS);
        }
        running.set(false);
        List<Throwable> failures = new ArrayList<>();
        for (Future<List<Throwable>> load : loads) {
            failures.addAll(load.get(30, TimeUnit.SECONDS));
        }

        assertThat(failures).isEmpty();
        assertThat(calls.get()).isGreaterThan(1000);
        await().atMost(Duration.ofSeconds(15)).until(() -> oldWorkers.stream().noneMatch(ProcessIsolationTest::running));
    }

    @Test
    void noWorkerOutlivesItsRegistry() {
        registry(ProcessIsolation.DEFAULTS.withWorkers(2));
        registry.loadFrom("a", TestLibraries.library("echo"), Isolation.PROCESS);
        registry.loadFrom("b", TestLibraries.library("crashy"), Isolation.PROCESS);
        List<Long> pids = new ArrayList<>(registry.handler("a").orElseThrow().workers().orElseThrow().pids());
        pids.addAll(registry.handler("b").orElseThrow().workers().orElseThrow().pids());
        assertThat(pids).hasSize(4).allMatch(ProcessIsolationTest::running);
        assertThat(call(registry, "b", "thread")).startsWith("alive ");

        registry.close();

        assertThat(pids).noneMatch(ProcessIsolationTest::running);
        assertThat(workers()).isEmpty();
        try (var left = Files.list(copies)) { // the versions' copies are gone; the worker program stays
            assertThat(left.map(p -> p.getFileName().toString())).allMatch(name -> name.startsWith("handler-worker-"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void closingWithACallHungWithoutDeadlineKillsItsWorkerInsteadOfLeavingItBehind() throws Exception {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .closeTimeout(Duration.ofMillis(300)).build();
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        long pid = workerPid(registry, "crashy");
        Future<String> hung = callers.submit(() -> call(registry, "crashy", "hang")); // no deadline
        await().atMost(Duration.ofSeconds(10))
                .until(() -> registry.handler("crashy").orElseThrow().activeRequests() == 1);

        registry.close();

        assertThatThrownBy(() -> hung.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("the registry closed with 1 call inside");
        await().atMost(Duration.ofSeconds(10)).until(() -> !running(pid));
        assertThat(workers()).isEmpty();
    }

    /**
     * The same for a version someone else provides that runs its library in a worker, as a handler
     * bundle's does: closing waited its whole timeout, said the version was unloaded once drained,
     * and left the hung call to the bundle's stop, which waited as long again (seen by hand: Ctrl-D
     * with one hung call took twice stop.timeout.ms).
     */
    @Test
    void closingWithACallHungInAProvidedHandlersWorkerKillsThatWorkerToo() throws Exception {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .closeTimeout(Duration.ofMillis(300)).build();
        Path file = Files.copy(TestLibraries.library("crashy"), copies.resolve("provided-crashy.so"));
        HandlerVersion library = HandlerVersion.adoptLibrary("crashy", file, "a test bundle", Isolation.PROCESS,
                ProcessIsolation.DEFAULTS, Duration.ofSeconds(30));
        registry.swap("crashy", new Provided(library), "a test bundle", "1.0.0");
        long pid = workerPid(registry, "crashy");
        Future<String> hung = callers.submit(() -> call(registry, "crashy", "hang")); // no deadline
        await().atMost(Duration.ofSeconds(10)).until(() -> library.activeRequests() == 1);

        registry.close();

        assertThatThrownBy(() -> hung.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("the registry closed with 1 call inside");
        await().atMost(Duration.ofSeconds(10)).until(() -> !running(pid));
        assertThat(library.activeRequests()).isZero();
        library.startDraining();
        library.unloadIfDrained();
    }

    /** A handler provided by someone else whose library runs in a worker (a handler bundle's, in short). */
    private static final class Provided implements io.handlerregistry.spi.Handler, IsolationInfo {
        private final HandlerVersion library;

        Provided(HandlerVersion library) {
            this.library = library;
        }

        @Override
        public HandlerResponse handle(RequestContext context, HandlerRequest request) {
            return library.callIfActive(context, request);
        }

        @Override
        public Isolation isolation() {
            return library.isolation();
        }

        @Override
        public java.util.Optional<WorkerStatus> workers() {
            return library.workers();
        }

        @Override
        public boolean killWorkers(String because) {
            return library.killWorkers(because);
        }
    }

    /** Nor does what it started: the worker kills its process group when the JVM's line to it closes. */
    @Test
    void noWorkerOutlivesItsJvmEvenKilledHard() throws Exception {
        Path pidFile = copies.resolve("worker.pid");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dhandler.native.dir=" + TestLibraries.dir().toAbsolutePath(),
                IsolatedChild.class.getName(), pidFile.toString())
                .redirectErrorStream(true).redirectOutput(copies.resolve("child.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
            String[] pids = Files.readString(pidFile, StandardCharsets.US_ASCII).strip().split(" ");
            long worker = Long.parseLong(pids[0]);
            long started = Long.parseLong(pids[1]);
            assertThat(running(worker)).isTrue();
            assertThat(running(started)).isTrue();

            child.destroyForcibly(); // kill -9
            child.waitFor(30, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(10)).until(() -> !running(worker) && !running(started));
        } finally {
            child.destroyForcibly();
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip()
                        .split(" ")[1])).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Header lists keep order and case through the channel (a check that the encoding is whole). */
    @Test
    void manyHeadersAndALargeBodyCrossTheChannel() {
        registry();
        registry.loadFrom("echo", TestLibraries.library("echo"), Isolation.PROCESS);
        HandlerRequest.Builder request = HandlerRequest.builder().method("POST").path("/p");
        for (int i = 0; i < 100; i++) {
            request.header("H-" + i, "v".repeat(i));
        }
        byte[] body = new byte[512 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        HandlerResponse response = registry.execute("echo", RequestContext.create(), request.body(body).build());
        assertThat(response.body()).isEqualTo(body);

        byte[] tooLarge = new byte[2 << 20];
        assertThatThrownBy(() -> registry.execute("echo", RequestContext.create(), HandlerRequest.of(tooLarge)))
                .isInstanceOf(HandlerException.class).hasMessageContaining("process.slot.bytes");
        assertThat(registry.execute("echo", RequestContext.create(), HandlerRequest.of("after")).bodyAsString())
                .isEqualTo("after");
        assertThat(response.headers()).extracting(Header::name).isNotNull();
    }
}
