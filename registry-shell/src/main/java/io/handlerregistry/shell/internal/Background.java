package io.handlerregistry.shell.internal;

import java.util.function.Supplier;

import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Job;
import org.apache.felix.service.command.Process;
import org.jline.reader.LineReader;

/**
 * Shows a command's result when it ends in the background. A shell prints only what a command
 * returns in the foreground: started with {@code &}, or sent there with Ctrl-Z and {@code bg}, its
 * result was lost (gogo.jline printed "[1]  done  ..." and nothing else, and so did {@code fg}), and
 * so was its error. Here the command itself writes them to its output, above the prompt a person may
 * be typing at, before the shell says the job is done. Results that go through a pipe or into a
 * file are the pipe's business, and stay so.
 */
final class Background {
    /** The session variable that holds gogo.jline's and Karaf's line reader. */
    private static final String READER_VARIABLE = ".reader";

    private Background() {
    }

    /** Runs a command's body on the calling thread; returns its result, also shown if the shell will not. */
    static <T> T shown(Supplier<T> body) {
        Process process = gogoProcess();
        Job job = process == null ? null : process.job();
        while (job != null && job.parent() != null) {
            job = job.parent();
        }
        if (job == null) {
            try {
                return body.get();
            } catch (RuntimeException e) {
                throw CommandFailure.of(e);
            }
        }
        // the shell prints the result of a job that stays in the foreground from its start to its end
        boolean foreground = job.status() == Job.Status.Foreground;
        T result;
        try {
            result = body.get();
        } catch (RuntimeException e) {
            RuntimeException failure = CommandFailure.of(e);
            if (!foreground || job.status() != Job.Status.Foreground) {
                show(process, job, failure.toString());
            }
            throw failure;
        }
        if (result != null && (!foreground || job.status() != Job.Status.Foreground)) {
            show(process, job, job.session().format(result, Converter.INSPECT).toString());
        }
        return result;
    }

    private static void show(Process process, Job job, String text) {
        if (!process.isTty(1)) {
            return; // piped or redirected: Gogo writes a result there itself
        }
        Object reader = job.session().get(READER_VARIABLE);
        if (reader != null && JLine.printAbove(reader, text)) {
            return;
        }
        process.out().println(text);
        process.out().flush();
    }

    private static Process gogoProcess() {
        try {
            return Process.Utils.current();
        } catch (LinkageError olderGogo) {
            return null;
        }
    }

    /** JLine is an optional import: touched only when a session holds a line reader. */
    private static final class JLine {
        static boolean printAbove(Object reader, String text) {
            try {
                if (reader instanceof LineReader) {
                    ((LineReader) reader).printAbove(text);
                    return true;
                }
            } catch (LinkageError notWired) {
                // no JLine wired to this bundle: printed plainly
            }
            return false;
        }
    }
}
