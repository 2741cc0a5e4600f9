package io.handlerregistry.engine;

import static io.handlerregistry.engine.ProcessIsolationTest.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/**
 * A worker process lives in a session and process group of its own: signals for the terminal's
 * foreground group (Ctrl-C at the prompt) never reach it, and whatever a handler started inside it
 * ends with it, however it ends, with no thread of the registry left reading its output.
 */
class WorkerProcessGroupTest {
    @TempDir
    Path copies;

    private NativeHandlerRegistry registry;
    private final List<Long> leftBehind = new ArrayList<>();

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
        leftBehind.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    private NativeHandlerRegistry registry(ProcessIsolation settings) {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .closeTimeout(Duration.ofSeconds(2)).processIsolation(settings).build();
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        return registry;
    }

    private String call(String body) {
        return registry.execute("crashy", RequestContext.create(), HandlerRequest.of(body)).bodyAsString();
    }

    /** "alive <worker> child <child>": the child's pid, remembered to be killed after the test. */
    private long child(String answer) {
        String[] words = answer.split(" ");
        assertThat(words).hasSize(4);
        long pid = Long.parseLong(words[3]);
        leftBehind.add(pid);
        return pid;
    }

    /** Fields of /proc/PID/stat after the command: [state, ppid, pgrp, session, ...]. */
    static String[] stat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The threads reading the output of the worker with this pid. */
    private static List<Thread> readersOf(long workerPid) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("handler-worker-crashy-" + workerPid)).collect(Collectors.toList());
    }

    /** JDK threads stuck handing a process's output over after it ended (its pipe still held). */
    private static List<Thread> stuckReapers() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("processExited")))
                .map(java.util.Map.Entry::getKey).collect(Collectors.toList());
    }

    private long workerPid() {
        return registry.handler("crashy").orElseThrow().workers().orElseThrow().pids().get(0);
    }

    @Test
    void aWorkerLeadsASessionAndAProcessGroupOfItsOwn() {
        registry(ProcessIsolation.DEFAULTS);
        long worker = workerPid();
        String[] jvm = stat(ProcessHandle.current().pid());

        String[] fields = stat(worker);

        assertThat(fields[2]).as("process group").isEqualTo(Long.toString(worker)).isNotEqualTo(jvm[2]);
        assertThat(fields[3]).as("session").isEqualTo(Long.toString(worker)).isNotEqualTo(jvm[3]);
        assertThat(fields[4]).as("controlling terminal").isEqualTo("0");
    }

    /**
     * Ctrl-C at a prompt sends SIGINT to the terminal's foreground process group, the JVM's. A JVM of
     * its own, leading its own group, gets SIGINT sent to that group, as the terminal would.
     */
    @Test
    void aSignalToTheJvmsProcessGroupDoesNotReachItsWorkers() throws Exception {
        Path report = copies.resolve("report");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dhandler.native.dir=" + TestLibraries.dir().toAbsolutePath(),
                SignalledChild.class.getName(), report.toString())
                .redirectErrorStream(true).redirectOutput(copies.resolve("child.log").toFile()).start();
        try {
            Path ready = report.resolveSibling("report.ready");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(ready));
            long worker = Long.parseLong(Files.readString(ready, StandardCharsets.US_ASCII).strip());
            assertThat(stat(child.pid())[2]).as("the child JVM leads its group").isEqualTo(Long.toString(child.pid()));

            int sigint = 2; // to its group, as the terminal sends it at Ctrl-C
            assertThat(NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("kill")
                    .invokeInt(new Object[] {-(int) child.pid(), sigint})).isZero();

            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(report));
            assertThat(Files.readString(report, StandardCharsets.US_ASCII).strip())
                    .isEqualTo("answered by " + worker + ", restarts 0");
            assertThat(running(worker)).isTrue();
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "unload", "crash", "hung call"})
    void whatAWorkerStartedEndsWithItAndNoReaderIsLeft(String end) {
        registry(ProcessIsolation.DEFAULTS.withHangGrace(Duration.ofMillis(100)));
        long worker = workerPid();
        long child = child(call("fork"));
        assertThat(running(child)).isTrue();
        assertThat(stat(child)[2]).as("the child's process group").isEqualTo(Long.toString(worker));

        switch (end) {
            case "close":
                registry.close();
                break;
            case "unload":
                registry.unload("crashy");
                break;
            case "crash":
                assertThatThrownBy(() -> call("segv")).isInstanceOf(HandlerCrashedException.class);
                break;
            default:
                RequestContext soon = RequestContext.create().withDeadline(Instant.now().plusMillis(100));
                assertThatThrownBy(() -> registry.execute("crashy", soon, HandlerRequest.of("hang")))
                        .isInstanceOf(HandlerTimeoutException.class).hasMessageContaining("killed");
        }

        await().atMost(Duration.ofSeconds(15)).until(() -> !running(worker) && !running(child));
        await().atMost(Duration.ofSeconds(15)).until(() -> readersOf(worker).isEmpty());
        assertThat(stuckReapers()).isEmpty();
    }

    @Test
    void theOutputReaderStopsAtTheWorkersEndEvenIfAProcessThatLeftItsGroupHoldsTheOutput() {
        registry(ProcessIsolation.DEFAULTS);
        long worker = workerPid();
        long escaped = child(call("escape"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !stat(escaped)[2].equals(Long.toString(worker)));

        assertThatThrownBy(() -> call("abort")).isInstanceOf(HandlerCrashedException.class)
                .hasMessageContaining("crashy: giving up on purpose"); // its last output was read to the end

        await().atMost(Duration.ofSeconds(15)).until(() -> readersOf(worker).isEmpty());
        assertThat(stuckReapers()).isEmpty();
        assertThat(running(escaped)).as("out of reach: it left the group, as a daemon does").isTrue();
        assertThat(call("hi")).startsWith("alive ");
    }
}
