package io.handlerregistry.shell.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.ServiceTracker;


/**
 * Batch mode for scripts: when the framework property {@value #COMMANDS_PROPERTY} holds commands
 * (one per line), runs them once the container is ready, prints each result, and exits the JVM:
 * status 0 when all succeeded, 1 at the first failure, which is printed as one line
 * ({@value #TRACE_PROPERTY}=true adds its stack trace). Ready means: the commands are there, and a
 * service matching the filter in {@value #READY_PROPERTY} (if set) is registered, e.g. the
 * {@code DeployFolder} service, which appears once the files the folder held at start are deployed.
 * The commands run as typed at the prompt: the shell profile ({@code gosh.home}/etc/gosh_profile,
 * if there is one) is read first, so its scope and functions ({@code help handler}) apply.
 */
@Component(immediate = true)
public final class BatchRunner {
    static final String COMMANDS_PROPERTY = "io.handlerregistry.shell.commands";
    static final String TRACE_PROPERTY = "io.handlerregistry.shell.trace";
    static final String READY_PROPERTY = "io.handlerregistry.shell.ready";
    private static final long READY_TIMEOUT_MS = 60_000;

    @Activate
    public BatchRunner(BundleContext context, @Reference CommandProcessor processor) {
        String commands = context.getProperty(COMMANDS_PROPERTY);
        if (commands == null || commands.isBlank()) {
            return;
        }
        boolean trace = Boolean.parseBoolean(context.getProperty(TRACE_PROPERTY));
        Thread batch = new Thread(() -> System.exit(run(context, processor, commands, trace)), "handler-shell-batch");
        batch.start();
    }

    private static int run(BundleContext context, CommandProcessor processor, String commands, boolean trace) {
        // the process's own streams: System.out is Gogo's by now, which hands a command's output to
        // its session's, so a session on System.out would loop when a command prints (handler:top)
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, Charset.defaultCharset());
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), false, Charset.defaultCharset());
        try {
            // the Gogo command service (ShellRegistration), not only the commands' component
            awaitService(context, "(&(osgi.command.scope=" + HandlerCommands.SCOPE + ")(osgi.command.function=list))");
            String ready = context.getProperty(READY_PROPERTY);
            if (ready != null && !ready.isBlank()) {
                awaitService(context, ready.strip());
            }
            CommandSession session = processor.createSession(System.in, out, err);
            try {
                String home = context.getProperty("gosh.home");
                Path profile = home == null ? null : Path.of(home, "etc", "gosh_profile");
                if (profile != null && Files.isRegularFile(profile)) {
                    session.execute(Files.readString(profile));
                }
                for (String line : commands.split("\\R")) {
                    if (line.isBlank()) {
                        continue;
                    }
                    err.println("> " + line.strip());
                    err.flush();
                    Object result = session.execute(line);
                    if (result != null) {
                        out.println(session.format(result, Converter.INSPECT));
                        out.flush();
                    }
                }
            } finally {
                session.close();
            }
            return 0;
        } catch (Exception e) {
            err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (trace) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static void awaitService(BundleContext context, String filter)
            throws InterruptedException, InvalidSyntaxException {
        ServiceTracker<?, ?> tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
        tracker.open(true);
        try {
            if (tracker.waitForService(READY_TIMEOUT_MS) == null) {
                throw new IllegalStateException("the container is not ready: no service " + filter + " after "
                        + TimeUnit.MILLISECONDS.toSeconds(READY_TIMEOUT_MS) + " s (" + READY_PROPERTY + ")");
            }
        } finally {
            tracker.close();
        }
    }
}
