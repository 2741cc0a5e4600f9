package io.handlerregistry.shell.internal;

import java.util.function.Supplier;

/**
 * One line of the terminal rewritten in place, four times a second, while a long command runs (a
 * bench, a drain): what it has done so far and how to stop it. Only on an interactive terminal;
 * in a script, a pipe or batch mode it writes nothing, so results stay clean. Closing it erases
 * the line. Meanwhile the console's log lines wait (see {@link ConsoleLog}), and come after it.
 */
final class LiveLine implements ShellTerminal.Restore {
    private static final long REFRESH_MS = 250;

    private final ShellTerminal terminal;
    private final Thread ticker;
    private ShellTerminal.Restore quietLog = () -> { };

    private LiveLine(ShellTerminal terminal, Supplier<String> status) {
        this.terminal = terminal;
        this.ticker = !terminal.interactive() ? null : new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    terminal.write("\r" + status.get() + "\u001b[K");
                    Thread.sleep(REFRESH_MS);
                }
            } catch (InterruptedException e) {
                // closed
            }
        }, "handler-shell-live-line");
    }

    /** Shows {@code status} (called on another thread) until closed. */
    static LiveLine start(ShellTerminal terminal, Supplier<String> status) {
        LiveLine line = new LiveLine(terminal, status);
        if (line.ticker != null) {
            line.quietLog = ConsoleLog.quiet(true);
            line.ticker.setDaemon(true);
            line.ticker.start();
        }
        return line;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.interrupt();
            boolean interrupted = false;
            while (ticker.isAlive()) {
                try {
                    ticker.join();
                } catch (InterruptedException e) {
                    interrupted = true; // a second Ctrl-C: still wait the few ms, then keep the flag
                }
            }
            terminal.write("\r\u001b[K");
            quietLog.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
