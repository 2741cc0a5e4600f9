package io.handlerregistry.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.handlerregistry.api.HandlerCrashedException;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerOverloadedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HandlerTimeoutException;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;

/**
 * One running worker process (handler_worker.c) serving one library version over a
 * {@link WorkerChannel}. It is started with the library's private copy and is ready once that
 * library is loaded and its {@code handler_init} returned. Its output goes to the log, line by line,
 * with the endpoint's name; the last lines are kept for the report of a crash. When it ends, every
 * call inside it fails with a {@link HandlerCrashedException} and its {@link Listener} hears of it.
 *
 * <p>The worker leads a session and process group of its own (its first act), so the terminal's
 * signals do not reach it. Whatever it started ends with it: the registry kills its process group,
 * not only the worker, and once it ended kills what is left in that group; the output reader stops
 * at its end too ({@link WorkerOutput}).
 */
final class WorkerProcess {
    private static final Logger LOG = System.getLogger(WorkerProcess.class.getName());
    private static final int TAIL_LINES = 20;
    private static final int MAX_LINE = 1000;
    private static final int MAX_HEADERS = 4096;

    /** Hears that a worker that had started ended, unless the registry shut it down. */
    interface Listener {
        void exited(WorkerProcess worker);
    }

    private final String endpointId;
    private final String source;
    private final Path copy;
    private final Process process;
    private final WorkerChannel channel;
    private final WorkerOutput output;
    private final Thread reader;
    private final Deque<String> tail = new ArrayDeque<>();
    private final CompletableFuture<Void> exited = new CompletableFuture<>();
    private volatile boolean usable = true;
    private volatile String killedBecause;
    private volatile boolean killedForHang;
    private volatile boolean shuttingDown;
    private volatile String ending;
    private volatile int exitStatus;
    // guarded by this: who hears of the exit, and whether it happened before anyone listened
    private Listener listener;
    private boolean exitHandled;

    private WorkerProcess(String endpointId, String source, Path copy, Process process, WorkerChannel channel,
            WorkerOutput output) {
        this.endpointId = endpointId;
        this.source = source;
        this.copy = copy;
        this.process = process;
        this.channel = channel;
        this.output = output;
        this.reader = new Thread(() -> output.read(this::outputLine), "handler-worker-" + endpointId + "-"
                + process.pid());
        reader.setDaemon(true);
    }

    /**
     * Starts a worker for the library copy and waits until it is ready.
     *
     * @param file        the library file the load is about (in exceptions)
     * @param channels    where the channel file is made (its name is removed once the worker mapped it)
     * @param initTimeout how long loading and {@code handler_init} may take; past it the worker is killed
     * @param threads     where exits are handled
     * @throws HandlerLoadException why the worker refused the library, or died or hung loading it
     */
    static WorkerProcess start(String endpointId, Path file, String source, Path copy, Path program,
            Path channels, ProcessIsolation settings, Duration initTimeout, Executor threads) {
        WorkerChannel channel;
        try {
            channel = WorkerChannel.create(channels, "handler-" + endpointId + "-", settings.concurrency(),
                    settings.slotBytes());
        } catch (IOException | RuntimeException e) {
            throw new HandlerLoadException(endpointId, file, Reason.ISOLATION_UNAVAILABLE, "endpoint '" + endpointId
                    + "': cannot create the shared memory for its worker process in " + channels + ": " + e, e);
        }
        WorkerOutput output;
        try {
            output = WorkerOutput.create(channel.file().resolveSibling(channel.file().getFileName().toString()
                    .replace(".channel", ".output")));
        } catch (IOException e) {
            channel.deleteFile();
            channel.workerExited();
            channel.unpin();
            throw new HandlerLoadException(endpointId, file, Reason.ISOLATION_UNAVAILABLE, "endpoint '" + endpointId
                    + "': cannot make the FIFO for its worker process's output in " + channels + ": " + e, e);
        }
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(program.toString(), channel.file().toString(), copy.toString(), endpointId,
                    source, Long.toString(settings.memoryLimit()), Long.toString(settings.cpuLimit()))
                    .redirectOutput(output.path().toFile()).redirectErrorStream(true);
            builder.environment().put("HANDLER_WORKER_SPIN_NS", Long.toString(WorkerChannel.SPIN_NANOS));
            process = builder.start();
            output.unlink();
        } catch (IOException e) {
            output.close();
            channel.deleteFile();
            channel.workerExited();
            channel.unpin();
            throw new HandlerLoadException(endpointId, file, Reason.ISOLATION_UNAVAILABLE, "endpoint '" + endpointId
                    + "': cannot start its worker process " + program + ": " + e + "; is the copy directory on a"
                    + " file system that allows executing programs (not noexec)?", e);
        }
        WorkerProcess worker = new WorkerProcess(endpointId, source, copy, process, channel, output);
        worker.reader.start();
        process.onExit().thenRunAsync(worker::handleExit, command -> {
            try {
                threads.execute(command);
            } catch (RuntimeException e) {
                DaemonThreads.named("handler-worker-exit").newThread(command).start();
            }
        });
        try {
            worker.awaitReady(file, initTimeout);
            return worker;
        } finally {
            channel.deleteFile();
            channel.unpin();
        }
    }

    private void awaitReady(Path file, Duration initTimeout) {
        long deadline = System.nanoTime() + initTimeout.toNanos();
        for (;;) {
            int state = channel.workerState();
            if (state == WorkerChannel.READY) {
                return;
            }
            if (state == WorkerChannel.REFUSED) {
                throw refusal(file);
            }
            if (!process.isAlive()) {
                awaitExit(Duration.ofSeconds(1));
                throw new HandlerLoadException(endpointId, file, Reason.LOAD_FAILED, "endpoint '" + endpointId
                        + "': the worker process loading " + source + " " + ending() + " before it was ready (a"
                        + " library constructor or handler_init that crashes or exits?); the version that was"
                        + " serving (if any) keeps serving" + lastOutputText());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                kill("loading the library and handler_init took longer than the init timeout");
                throw new HandlerLoadException(endpointId, file, Reason.INIT_TIMEOUT, "endpoint '" + endpointId
                        + "': the worker process loading " + source + " was not ready within "
                        + initTimeout.toMillis() + " ms (init.timeout.ms): it was killed, the load is refused and"
                        + " the version that was serving (if any) keeps serving" + lastOutputText());
            }
            channel.awaitStartup(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)));
        }
    }

    private HandlerLoadException refusal(Path file) {
        awaitExit(Duration.ofSeconds(1));
        String detail = channel.refusalDetail();
        switch (channel.headerInt(WorkerChannel.H_REASON)) {
            case 1:
                return LoaderErrors.classify(endpointId, file, source, copy, new UnsatisfiedLinkError(detail));
            case 2:
                return NativeHandler.missingAbiVersion(endpointId, file, source);
            case 3:
                return NativeHandler.abiMismatch(endpointId, file, source, channel.headerInt(WorkerChannel.H_ABI));
            case 4:
                return NativeHandler.missingEntry(endpointId, file, source, null);
            case 5:
                return NativeHandler.initFailed(endpointId, file, source, channel.headerInt(WorkerChannel.H_INIT_CODE),
                        detail);
            default:
                return new HandlerLoadException(endpointId, file, Reason.ISOLATION_UNAVAILABLE, "endpoint '"
                        + endpointId + "': its worker process could not start: " + detail);
        }
    }

    /** Hears of this worker's end from now on (at once if it ended already). */
    void listen(Listener heard) {
        boolean already;
        synchronized (this) {
            listener = heard;
            already = exitHandled;
        }
        if (already && !shuttingDown) {
            heard.exited(this);
        }
    }

    long pid() {
        return process.pid();
    }

    /** False once it was killed, shut down or died: new calls go to its successor. */
    boolean isUsable() {
        return usable && !channel.isDead();
    }

    CompletableFuture<Void> exited() {
        return exited;
    }

    /**
     * Serves one call.
     *
     * @param graceNanos how long past its deadline the call may stay before the worker is killed
     * @return the response, or null if this worker was ended before the call was handed to it
     */
    HandlerResponse call(RequestContext context, HandlerRequest request, long graceNanos) {
        byte[] method = utf8(request.method());
        byte[] path = utf8(request.path());
        byte[] query = utf8(request.query());
        List<Header> headers = request.headers();
        byte[][] headerBytes = new byte[headers.size() * 2][];
        for (int i = 0; i < headers.size(); i++) {
            headerBytes[2 * i] = utf8(headers.get(i).name());
            headerBytes[2 * i + 1] = utf8(headers.get(i).value());
        }
        long deadline = context.deadlineUnixNanos();
        long until = Long.MAX_VALUE; // in System.nanoTime(): the deadline plus the grace
        long untilDeadline = Long.MAX_VALUE;
        long left = deadline - OverdueCalls.nowUnixNanos();
        if (deadline != 0 && left < Long.MAX_VALUE / 4) { // a later one: no deadline
            untilDeadline = System.nanoTime() + left;
            until = left + graceNanos > 0 ? untilDeadline + graceNanos : System.nanoTime();
        }
        int slot;
        try {
            slot = channel.acquire(until == Long.MAX_VALUE ? Long.MAX_VALUE : untilDeadline - System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandlerException(endpointId, "endpoint '" + endpointId + "': interrupted while waiting for a"
                    + " free slot of its worker process; the call was not started", e);
        }
        if (slot < 0) {
            if (!isUsable()) {
                return null;
            }
            throw new HandlerOverloadedException(endpointId, channel.slots(), "endpoint '" + endpointId + "': all "
                    + channel.slots() + " call slots of its worker process " + pid() + " were busy until the call's"
                    + " deadline; the call was not started. Raise the process concurrency or the number of workers");
        }
        try {
            if (!isUsable()) {
                return null; // never handed over: the caller tries the successor
            }
            if (!channel.writeRequest(slot, context, method, path, query, headers, headerBytes, request.body())) {
                throw new HandlerException(endpointId, "endpoint '" + endpointId + "': the request is larger than a"
                        + " call to a process-isolated handler may carry (" + channel.areaBytes() + " bytes with its"
                        + " headers): raise process.slot.bytes, or load the endpoint in-process");
            }
            channel.send(slot);
            int outcome = channel.await(slot, until);
            if (outcome == WorkerChannel.RESPONSE) {
                try {
                    return readResponse(slot);
                } finally {
                    channel.done(slot);
                }
            }
            if (outcome == WorkerChannel.TIMED_OUT) {
                long late = TimeUnit.NANOSECONDS.toMillis(graceNanos);
                killedForHang = true;
                kill("call " + context.requestId() + " was still inside " + late + " ms after its deadline");
                Duration timeout = Duration.ofNanos(Math.max(0, deadline - OverdueCalls.nowUnixNanos()));
                throw new HandlerTimeoutException(endpointId, timeout, true, "endpoint '" + endpointId + "' (" + source
                        + "): the call was still inside its worker process " + pid() + " " + late + " ms after its"
                        + " deadline: the worker was killed (the calls inside it fail) and is restarted");
            }
            awaitExit(Duration.ofSeconds(1)); // its last output and exit status
            throw crashed(false);
        } finally {
            channel.release(slot);
        }
    }

    private HandlerResponse readResponse(int slot) {
        int area = channel.areaBytes();
        switch (channel.responseInt(slot, WorkerChannel.P_OUTCOME)) {
            case WorkerChannel.OK: {
                int status = channel.responseInt(slot, WorkerChannel.P_STATUS);
                int count = channel.responseInt(slot, WorkerChannel.P_HEADERS);
                long bodyLength = channel.responseLong(slot, WorkerChannel.P_BODY);
                if (count < 0 || count > MAX_HEADERS || bodyLength < 0 || bodyLength > area) {
                    throw garbled();
                }
                int start = WorkerChannel.P_TABLE + 8 * count;
                // names and values lie back to back after the table: one copy, decoded when asked for
                int[] lengths = new int[2 * count];
                long total = 0;
                for (int i = 0; i < lengths.length; i++) {
                    lengths[i] = channel.responseInt(slot, WorkerChannel.P_TABLE + 4 * i);
                    total += lengths[i];
                    if (lengths[i] < 0 || start + total > area) {
                        throw garbled();
                    }
                }
                int at = start + (int) total;
                if (at + bodyLength > area) {
                    throw garbled();
                }
                byte[] body = channel.responseBytes(slot, at, (int) bodyLength);
                return count == 0 ? new HandlerResponse(status, List.of(), body)
                        : HandlerResponse.withEncodedHeaders(status, channel.responseBytes(slot, start, (int) total),
                                lengths, body);
            }
            case WorkerChannel.FAILED:
                throw new HandlerFailedException(endpointId, channel.responseInt(slot, WorkerChannel.P_STATUS),
                        message(slot, area));
            case WorkerChannel.BROKEN:
                throw new HandlerException(endpointId, "handler for endpoint '" + endpointId + "' (" + source
                        + ") returned an invalid response (" + message(slot, area) + "); fix the handler (see handler.h)");
            case WorkerChannel.TOO_LARGE:
                throw new HandlerException(endpointId, "handler for endpoint '" + endpointId + "' (" + source
                        + ") returned a response of " + channel.responseLong(slot, WorkerChannel.P_BODY) + " bytes with"
                        + " its headers, more than a process-isolated call may carry (" + area + " bytes): raise"
                        + " process.slot.bytes, or load the endpoint in-process");
            default:
                throw garbled();
        }
    }

    private String message(int slot, int area) {
        int length = channel.responseInt(slot, WorkerChannel.P_MESSAGE);
        if (length < 0 || length > area - WorkerChannel.P_TABLE) {
            throw garbled();
        }
        return channel.responseString(slot, WorkerChannel.P_TABLE, length);
    }

    private HandlerException garbled() {
        return new HandlerException(endpointId, "endpoint '" + endpointId + "' (" + source + "): the response in the"
                + " shared memory of worker process " + pid() + " is garbled (the handler wrote over memory it does"
                + " not own?); fix the handler");
    }

    /** The exception for calls inside this worker once it ended (and its end was handled). */
    HandlerCrashedException crashed(boolean failed) {
        return new HandlerCrashedException(endpointId, "endpoint '" + endpointId + "' (" + source + "): its worker"
                + " process " + pid() + " " + ending() + " while the call was inside it; "
                + (failed ? "it crashed too often and is no longer restarted: swap in a fixed version"
                        : "the registry starts it again (handler:info " + endpointId + " shows its crashes)")
                + lastOutputText(), exitStatus, lastOutput(), failed);
    }

    /**
     * What calls get once this worker's crash failed its version: they never reached a worker (it is
     * not restarted), so they are told that, with the crash that failed it.
     */
    HandlerCrashedException failedVersion(int crashes, Duration window) {
        return new HandlerCrashedException(endpointId, "endpoint '" + endpointId + "' (" + source + "): this version"
                + " FAILED after " + crashes + " crashes within " + window.toSeconds() + " s and is no longer restarted"
                + " (the last: worker process " + pid() + " " + ending() + "); the call was not started: swap in a"
                + " fixed version (handler:info " + endpointId + " shows the last crash)", exitStatus, lastOutput(),
                true);
    }

    /** How it ended: "was killed by signal 11 (SIGSEGV)", "exited with code 3", with the registry's reason. */
    String ending() {
        String text = ending;
        return text != null ? text : "ended";
    }

    List<String> lastOutput() {
        synchronized (tail) {
            return new ArrayList<>(tail);
        }
    }

    /** Its last lines of output, as the end of a message. */
    String lastOutputText() {
        List<String> lines = lastOutput();
        return lines.isEmpty() ? "; it wrote nothing to stdout or stderr"
                : "; its last output:\n  " + String.join("\n  ", lines);
    }

    /** True if the registry killed it for a call that hung past its deadline and the grace. */
    boolean killedForHang() {
        return killedForHang;
    }

    /** Kills it and what it started at once: the calls inside fail, and the listener restarts it. */
    void kill(String because) {
        usable = false;
        if (killedBecause == null) {
            killedBecause = because;
        }
        killGroup();
    }

    /**
     * SIGKILL to its process group (while it is not reaped, no other group can have its id), and to
     * the worker itself in case it was killed before it made its group.
     */
    private void killGroup() {
        if (process.isAlive()) {
            Libc.kill(-(int) process.pid(), Libc.SIGKILL);
        }
        process.destroyForcibly();
    }

    /**
     * Once no call is inside: asks it to run {@code handler_shutdown} and exit, and kills it if it has
     * not done so within the timeout.
     */
    void shutdown(Duration timeout) {
        usable = false;
        shuttingDown = true;
        try (OutputStream line = process.getOutputStream()) {
            line.write("shutdown\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // it is gone already
        }
        if (!awaitExit(timeout)) {
            LOG.log(Level.WARNING, "endpoint ''{0}'': the worker process {1} of {2} did not end within {3} ms of"
                    + " being asked to shut down (handler_shutdown hangs?): it is killed", endpointId, Long.toString(pid()), source,
                    timeout.toMillis());
            killedBecause = "handler_shutdown did not return within " + timeout.toMillis() + " ms";
            killGroup();
            awaitExit(Duration.ofSeconds(10));
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    private void handleExit() {
        // what it started and left behind goes with it: a group with members keeps its id from being
        // reused, and a group without any is not found
        Libc.kill(-(int) process.pid(), Libc.SIGKILL);
        output.stop();
        try {
            reader.join(1000); // its last lines, for the report of a crash
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exitStatus = process.exitValue();
        ending = describe(exitStatus) + (killedBecause != null ? " (killed by the registry: " + killedBecause + ")"
                : exitStatus == 128 + 24 ? " (over its CPU time limit, process.cpu.limit.s)"
                : exitStatus == 128 + 9 ? " (killed from outside the registry, e.g. by the kernel when memory ran out)"
                : "");
        usable = false;
        Listener heard;
        synchronized (this) {
            exitHandled = true;
            heard = listener;
        }
        try {
            if (heard != null && !shuttingDown) {
                heard.exited(this); // its successor is on the way before the calls inside learn of the end
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "handling the end of a worker of endpoint '" + endpointId + "' failed", e);
        } finally {
            channel.workerExited();
            exited.complete(null);
        }
    }

    private static String describe(int status) {
        if (status > 128 && status < 128 + 65) {
            int signal = status - 128;
            return "was killed by signal " + signal + signalName(signal);
        }
        return "exited with code " + status;
    }

    private static String signalName(int signal) {
        String[] names = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
            "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
            "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
            "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};
        return signal < names.length && names[signal] != null ? " (" + names[signal] + ")" : "";
    }

    private void outputLine(String text) {
        String line = text.length() > MAX_LINE ? text.substring(0, MAX_LINE) + "..." : text;
        synchronized (tail) {
            if (tail.size() == TAIL_LINES) {
                tail.removeFirst();
            }
            tail.addLast(line);
        }
        LOG.log(Level.INFO, "endpoint ''{0}'' worker {1}: {2}", endpointId, Long.toString(process.pid()), line);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "worker process " + pid() + " of endpoint '" + endpointId + "' (" + source + ")";
    }
}
