package io.handlerregistry.shell.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Job;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;

/**
 * The terminal a command runs in, when its Gogo session has a real one (the JLine terminal of
 * gogo.jline, or of Karaf's console, both in the session variable {@code .terminal}): a command can
 * then rewrite a line in place and catch Ctrl-C itself. In a script, batch mode, Karaf's
 * {@code bin/client -b} or a console without JLine there is none, and commands print plain results.
 * JLine is an optional import of this bundle: nothing here touches it unless it is wired.
 */
final class ShellTerminal {
    /** The session variable that holds gogo.jline's terminal. */
    private static final String TERMINAL_VARIABLE = ".terminal";
    /** The session variable that holds gogo.jline's line reader (of the interactive shell only). */
    private static final String READER_VARIABLE = ".reader";
    private static final boolean JLINE = jlineWired();
    private static final ShellTerminal NONE = new ShellTerminal(null, null);

    private final Object terminal; // a JLine Terminal that is not dumb, or null
    private final Job job; // the command's job: it owns the terminal while in the foreground

    private ShellTerminal(Object terminal, Job job) {
        this.terminal = terminal;
        this.job = job;
    }

    /** The terminal of the command running on the calling thread. */
    static ShellTerminal of(CommandSession session) {
        Object terminal = session == null || !JLINE ? null : session.get(TERMINAL_VARIABLE);
        return terminal != null && JLine.interactive(terminal) ? new ShellTerminal(terminal, Job.Utils.current())
                : NONE;
    }

    /**
     * The line reader of the interactive shell a session belongs to (gogo.jline's, on a terminal that
     * is not dumb), or null: a script, batch mode or another shell (Karaf's) has none.
     */
    static Object lineReader(CommandSession session) {
        Object reader = session == null || !JLINE ? null : session.get(READER_VARIABLE);
        return reader != null && JLine.interactiveReader(reader) ? reader : null;
    }

    /**
     * Writes a line above the prompt of a {@link #lineReader}: when it is reading, the prompt and what
     * was typed are drawn again below the line.
     */
    static void printAbove(Object reader, String line) {
        JLine.printAbove(reader, line);
    }

    /**
     * True when a person sits at this terminal and the command is in the foreground (not started
     * with {@code &}): lines can be rewritten and cleared.
     */
    boolean interactive() {
        return terminal != null && foreground();
    }

    private boolean foreground() {
        return job == null || job.status() == Job.Status.Foreground;
    }

    /** Writes text as it is (control sequences included) and flushes, in the foreground only. */
    void write(String text) {
        if (interactive()) {
            JLine.write(terminal, text);
        }
    }

    /**
     * While the returned handle is open, Ctrl-C interrupts the calling thread (the command) instead
     * of the whole Gogo job: the command stops its work and returns what it has, which Gogo then
     * prints. (Gogo's own Ctrl-C cancels the job and shows only an InterruptedException.) Without
     * a terminal, Ctrl-C is the shell's business and the handle does nothing.
     */
    Restore interruptOnCtrlC() {
        if (terminal == null) {
            return () -> { };
        }
        return JLine.interruptOnCtrlC(terminal, Thread.currentThread(), this::foreground);
    }

    /** Puts back what was changed. */
    interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    private static boolean jlineWired() {
        try {
            Class.forName("org.jline.terminal.Terminal", false, ShellTerminal.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Everything that names a JLine class: loaded only when JLine is wired. */
    private static final class JLine {
        static boolean interactive(Object terminal) {
            return terminal instanceof Terminal && !((Terminal) terminal).getType().startsWith(Terminal.TYPE_DUMB);
        }

        static boolean interactiveReader(Object reader) {
            return reader instanceof LineReader && interactive(((LineReader) reader).getTerminal());
        }

        static void printAbove(Object reader, String line) {
            ((LineReader) reader).printAbove(line);
        }

        static void write(Object terminal, String text) {
            Terminal t = (Terminal) terminal;
            t.writer().print(text);
            t.writer().flush();
        }

        /**
         * Handlers chain: a command in the background, or one that ended while a later one's
         * handler was installed over its own, passes Ctrl-C on to the handler it replaced.
         */
        static Restore interruptOnCtrlC(Object terminal, Thread command, BooleanSupplier foreground) {
            Terminal t = (Terminal) terminal;
            AtomicBoolean open = new AtomicBoolean(true);
            AtomicReference<Terminal.SignalHandler> previous = new AtomicReference<>();
            Terminal.SignalHandler mine = signal -> {
                if (open.get() && foreground.getAsBoolean()) {
                    command.interrupt();
                } else if (previous.get() != null) {
                    previous.get().handle(signal);
                }
            };
            previous.set(t.handle(Terminal.Signal.INT, mine));
            return () -> {
                open.set(false);
                Terminal.SignalHandler current = t.handle(Terminal.Signal.INT, previous.get());
                if (current != mine) {
                    t.handle(Terminal.Signal.INT, current); // a later command's is on top: it stays
                }
            };
        }
    }
}
