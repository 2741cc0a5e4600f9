package io.handlerregistry.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code handler:log}: the container's log file, as Karaf's {@code log:display} and {@code log:tail}
 * show Karaf's. The launcher names the file in the framework property {@value #LOG_FILE_PROPERTY}
 * (conf/logging.properties says where it is); where the registry runs elsewhere (embedded, Karaf),
 * there is none and the command says where the log is instead (in Karaf, as an answer: Karaf's
 * {@code log:display} has the registry's lines).
 */
@Component(service = LogCommand.class, property = {"osgi.command.scope=handler", "osgi.command.function=log"})
public final class LogCommand {
    static final String LOG_FILE_PROPERTY = "io.handlerregistry.log.file";
    /** The commands, in the order help lists them. */
    static final List<String> COMMANDS = List.of("log");
    private static final long FOLLOW_POLL_MS = 200;

    private final BundleContext context;

    @Activate
    public LogCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("shows the last lines of the log of the container (var/log/handler-registry.log), then, with --follow,"
            + " the lines written to it until Ctrl-C")
    public Object log(CommandSession session,
            @Descriptor("how many lines from the end (the rotated files before it included)") @Parameter(names = {"-n", "--lines"}, absentValue = "20") int lines,
            @Descriptor("then show what is written to it, until Ctrl-C") @Parameter(names = {"-f", "--follow"}, presentValue = "true", absentValue = "false") boolean follow,
            @Descriptor("shows this usage") @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help)
            throws IOException {
        if (help) {
            return Usage.of(LogCommand.class, HandlerCommands.SCOPE, "log");
        }
        if (lines < 0) {
            throw new IllegalArgumentException("need --lines >= 0, not " + lines);
        }
        String file = context.getProperty(LOG_FILE_PROPERTY);
        if (file == null || file.isBlank()) {
            if (context.getProperty("karaf.base") != null) { // an answer, not an error: Karaf has the log
                return "In Karaf, the registry logs to Karaf's log: log:display shows it, log:tail follows it;"
                        + " the registry's lines: log:display -p '%d %p %c: %m%n' | grep io.handlerregistry";
            }
            throw new IllegalStateException("this container writes no log file of its own (the framework property "
                    + LOG_FILE_PROPERTY + " names none): the registry logs through java.util.logging"
                    + " (System.Logger), wherever the application that runs it sends that");
        }
        LogTail tail = new LogTail(Path.of(file));
        List<String> last;
        try {
            last = tail.last(lines);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("there is no log file " + file + " (deleted?): the container writes it"
                    + " again from its next start");
        }
        if (!follow) {
            return last.isEmpty() ? null : String.join("\n", last);
        }
        ShellTerminal terminal = ShellTerminal.of(session);
        PrintStream out = System.out;
        // the console's log lines would show twice: they are dropped while the file is followed
        try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                ShellTerminal.Restore quiet = ConsoleLog.quiet(false)) {
            last.forEach(line -> print(terminal, out, line));
            tail.follow(line -> print(terminal, out, line), FOLLOW_POLL_MS);
            Thread.interrupted(); // Ctrl-C ends following; it is no error
            terminal.write("\r\u001b[K"); // the ^C the terminal echoed
        }
        Thread.interrupted();
        return null;
    }

    private static void print(ShellTerminal terminal, PrintStream out, String line) {
        if (terminal.interactive()) {
            terminal.write(line + "\n"); // straight to the terminal: through Gogo's pipe it could wait
        } else {
            out.println(line);
            out.flush();
        }
    }
}
