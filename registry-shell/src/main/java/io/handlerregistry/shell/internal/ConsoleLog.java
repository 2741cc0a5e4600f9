package io.handlerregistry.shell.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Keeps the console's log lines off the prompt of the interactive shell. When the shell's session
 * runs its first command (its profile, before the first prompt), the console handlers of
 * java.util.logging's root logger ({@link ConsoleHandler}s, as conf/logging.properties of the
 * container sets) give way to a {@link LogAbovePrompt} with the same level, filter and format, which
 * writes through the shell's line reader; when the shell goes (the bundle stops, the container with
 * it), they are put back. Batch mode, a shell without a terminal and other shells (Karaf's, whose
 * logging is not java.util.logging's console) are left as they are: their log lines go to the console.
 */
@Component(service = CommandSessionListener.class, immediate = true)
public final class ConsoleLog implements CommandSessionListener {
    private static final AtomicReference<LogAbovePrompt> ACTIVE = new AtomicReference<>();
    /** The process's stderr (System.err is the shell's by now, which writes to the terminal). */
    private static final PrintStream STDERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
            Charset.defaultCharset());

    private Object reader; // the line reader written through
    private List<Handler> consoles = List.of(); // the handlers replaced

    /**
     * While the returned handle is open, the log lines meant for the prompt wait: with {@code keep},
     * they are written when it closes (after a live line), else dropped (they were shown another way).
     * Nothing happens where no prompt takes log lines.
     */
    static ShellTerminal.Restore quiet(boolean keep) {
        LogAbovePrompt prompt = ACTIVE.get();
        return prompt == null ? () -> { } : prompt.hold(keep);
    }

    @Override
    public void beforeExecute(CommandSession session, CharSequence command) {
        Object lineReader = ShellTerminal.lineReader(session);
        if (lineReader != null) {
            attach(lineReader);
        }
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Exception exception) {
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Object result) {
    }

    /** Writes the console's log lines through this reader (a nested shell's has its own reader). */
    private synchronized void attach(Object lineReader) {
        if (lineReader == reader) {
            return;
        }
        Logger root = Logger.getLogger("");
        List<Handler> replaced = new ArrayList<>(consoles);
        for (Handler handler : root.getHandlers()) {
            if (handler instanceof ConsoleHandler) {
                replaced.add(handler);
            }
        }
        if (replaced.isEmpty()) {
            return; // nothing logs to the console
        }
        Handler model = replaced.get(0);
        LogAbovePrompt prompt = new LogAbovePrompt(line -> ShellTerminal.printAbove(lineReader, line),
                STDERR::println);
        prompt.setLevel(model.getLevel());
        prompt.setFilter(model.getFilter());
        prompt.setFormatter(model.getFormatter());
        root.addHandler(prompt);
        replaced.forEach(root::removeHandler);
        LogAbovePrompt before = ACTIVE.getAndSet(prompt);
        if (before != null) {
            root.removeHandler(before);
            before.close();
        }
        reader = lineReader;
        consoles = List.copyOf(replaced);
    }

    @Deactivate
    synchronized void deactivate() {
        LogAbovePrompt prompt = ACTIVE.getAndSet(null);
        if (prompt != null) {
            Logger root = Logger.getLogger("");
            consoles.forEach(root::addHandler);
            root.removeHandler(prompt);
            prompt.close();
        }
        reader = null;
        consoles = List.of();
    }
}
