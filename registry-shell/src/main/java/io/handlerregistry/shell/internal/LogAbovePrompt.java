package io.handlerregistry.shell.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * The console's log lines at the interactive prompt (a java.util.logging handler): each line is
 * written above the prompt, which the line reader then draws again with what was typed, instead of
 * being glued to it. While a command shows a live line (a bench's progress, {@code top}), lines wait
 * and come after it, or are dropped where the command shows the log itself ({@code handler:log
 * --follow}); the log file has them all anyway. Lines are written on a thread of this handler's, so
 * that no thread that logs ever waits for the terminal.
 */
final class LogAbovePrompt extends Handler {
    /** Lines kept while held or while the terminal is slow; the ones beyond are counted. */
    static final int MAX_WAITING = 200;

    private final Consumer<String> printer;
    private final Consumer<String> fallback;
    private volatile boolean terminalGone;
    private final Object lock = new Object(); // guards waiting, dropped, holds, closed
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private int dropped;
    private int holds;
    private boolean closed;
    private final Object printing = new Object(); // one batch printed at a time, in order
    private final Thread thread;

    /**
     * @param printer  writes one line (or several, for a stack trace) above the prompt
     * @param fallback writes it where the console is once the terminal is gone (closed at Ctrl-D, while
     *                 the container stops)
     */
    LogAbovePrompt(Consumer<String> printer, Consumer<String> fallback) {
        this.printer = printer;
        this.fallback = fallback;
        this.thread = new Thread(this::run, "handler-shell-log");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        String text;
        try {
            text = getFormatter().format(record).stripTrailing();
        } catch (RuntimeException e) {
            reportError("cannot format a log record", e, java.util.logging.ErrorManager.FORMAT_FAILURE);
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (waiting.size() >= MAX_WAITING) {
                dropped++;
            } else {
                waiting.add(text);
            }
            lock.notifyAll();
        }
    }

    /**
     * Until the returned handle is closed, lines wait; then they are written at once (on the closing
     * thread, before it goes on), or dropped when {@code keep} is false.
     */
    ShellTerminal.Restore hold(boolean keep) {
        synchronized (lock) {
            holds++;
        }
        return () -> {
            synchronized (lock) {
                holds = Math.max(0, holds - 1); // closed meanwhile: 0
                if (!keep) {
                    waiting.clear();
                    dropped = 0;
                }
                lock.notifyAll();
            }
            printWaiting();
        };
    }

    private void run() {
        try {
            while (true) {
                synchronized (lock) {
                    while (!closed && (waiting.isEmpty() || holds > 0)) {
                        lock.wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                printWaiting();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void printWaiting() {
        synchronized (printing) {
            List<String> lines;
            int more;
            synchronized (lock) {
                if (holds > 0 || waiting.isEmpty() && dropped == 0) {
                    return;
                }
                lines = new ArrayList<>(waiting);
                waiting.clear();
                more = dropped;
                dropped = 0;
            }
            for (String line : lines) {
                print(line);
            }
            if (more > 0) {
                print("(" + more + " more log line" + (more == 1 ? "" : "s") + " not shown here: see handler:log)");
            }
        }
    }

    private void print(String line) {
        if (!terminalGone) {
            try {
                printer.accept(line);
                return;
            } catch (RuntimeException e) {
                terminalGone = true; // closed: the shell has ended
            }
        }
        fallback.accept(line);
    }

    @Override
    public void flush() {
        printWaiting();
    }

    /** Writes what waits (unless held) and stops the thread. */
    @Override
    public void close() {
        synchronized (lock) {
            holds = 0;
            lock.notifyAll();
        }
        printWaiting();
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }
}
