package io.handlerregistry.api;

import java.util.List;

/**
 * The worker process serving the call ({@link Isolation#PROCESS process isolation}) ended while the
 * call was inside it: a crash (a signal such as SIGSEGV or SIGABRT), {@code exit()} called by the
 * handler, or the registry killing it for a call that hung past its deadline. Only that worker
 * ended; the registry starts it again, unless it crashed too often ({@link #failed()}).
 */
public final class HandlerCrashedException extends HandlerException {
    private static final long serialVersionUID = 1L;

    private final int exitStatus;
    private final List<String> lastOutput;
    private final boolean failed;

    public HandlerCrashedException(String endpointId, String message, int exitStatus, List<String> lastOutput,
            boolean failed) {
        super(endpointId, message);
        this.exitStatus = exitStatus;
        this.lastOutput = List.copyOf(lastOutput);
        this.failed = failed;
    }

    /** The worker's exit status as Java reports it: the exit code, or 128 + the signal number. */
    public int exitStatus() {
        return exitStatus;
    }

    /** The last lines the worker wrote to its stdout and stderr. */
    public List<String> lastOutput() {
        return lastOutput;
    }

    /** True if the version is no longer restarted ({@link HandlerState#FAILED}). */
    public boolean failed() {
        return failed;
    }
}
