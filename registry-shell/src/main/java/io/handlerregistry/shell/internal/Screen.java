package io.handlerregistry.shell.internal;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Job;
import org.apache.felix.service.command.Process;

/**
 * Where a command's result goes, as far as its layout is concerned: a terminal of some width, or
 * somewhere without one (a pipe, a file, a script, batch mode, Karaf's {@code bin/client -b}), where
 * each table row stays on one line so that {@code grep} and scripts see it whole; and whether to
 * print tables formatted or, for scripts ({@code --no-format}), as bare rows of tab-separated cells.
 * Known when the command runs, on its thread: Gogo says there whether its output is the session's
 * console ({@code Process.isTty(1)}: not when piped or redirected), and the session how wide that is
 * ({@code COLUMNS}: gogo.jline and Karaf compute it from their terminal).
 */
final class Screen {
    /** No width: nothing is wrapped. */
    static final Screen WHOLE_ROWS = new Screen(0, true);
    /** The widest help text is written, even on a wider terminal: longer lines read badly. */
    static final int HELP_WIDTH = 100;

    private final int width;
    private final boolean format;

    private Screen(int width, boolean format) {
        this.width = width;
        this.format = format;
    }

    /** The screen of the command running on the calling thread in {@code session} (may be null). */
    static Screen of(CommandSession session, boolean noFormat) {
        Process process = gogoProcess();
        boolean console = process == null || process.isTty(1);
        int width = console && session != null ? columns(session.get("COLUMNS")) : 0;
        return new Screen(width, !noFormat);
    }

    /** The screen of the command running on the calling thread (its Gogo job's session). */
    static Screen current(boolean noFormat) {
        Process process = gogoProcess();
        Job job = process == null ? null : process.job();
        return of(job == null ? null : job.session(), noFormat);
    }

    static Screen current() {
        return current(false);
    }

    /** A terminal this wide (0: none). */
    static Screen width(int width) {
        return new Screen(width, true);
    }

    /** Bare rows, cells separated by tabs, no header. */
    static Screen noFormat() {
        return new Screen(0, false);
    }

    /** The terminal's width in columns, or 0 when the output is no terminal: nothing is wrapped. */
    int width() {
        return width;
    }

    boolean format() {
        return format;
    }

    /** The width help text is wrapped to: the terminal's, at most {@value #HELP_WIDTH}. */
    int helpWidth() {
        return width <= 0 ? HELP_WIDTH : Math.min(width, HELP_WIDTH);
    }

    private static Process gogoProcess() {
        try {
            return Process.Utils.current();
        } catch (LinkageError olderGogo) { // a Gogo API before 1.0 has no Process
            return null;
        }
    }

    private static int columns(Object value) {
        if (value instanceof Number) {
            return Math.max(0, ((Number) value).intValue());
        }
        if (value != null) {
            try {
                return Math.max(0, Integer.parseInt(value.toString().strip()));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }
}
