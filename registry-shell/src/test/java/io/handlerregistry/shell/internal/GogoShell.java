package io.handlerregistry.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

import io.handlerregistry.engine.NativeHandlerRegistry;

/**
 * A real Gogo runtime (outside OSGi) with the handler commands on a real registry, the way a
 * shell runs them: Gogo parses the line, binds the options, runs pipes and jobs and formats
 * results. The example handlers built by registry-core are in its target/native.
 */
final class GogoShell implements AutoCloseable {
    static final Path NATIVE = Path.of(System.getProperty("native.dir", "../registry-core/target/native"));

    final NativeHandlerRegistry registry;
    final HandlerCommands commands;
    private final ThreadIOImpl threadIO = new ThreadIOImpl();
    private final CommandProcessorImpl processor;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final CommandSession session;

    GogoShell() {
        registry = NativeHandlerRegistry.create(NATIVE);
        commands = new HandlerCommands(registry);
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        for (String function : HandlerCommands.FUNCTIONS) {
            processor.addCommand(HandlerCommands.SCOPE, commands, function);
        }
        processor.addCommand("test", new TestCommands(), "cat");
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        session = processor.createSession(InputStream.nullInputStream(), out, out);
    }

    /** Runs a command line as typed; returns its result. */
    Object execute(String line) throws Exception {
        return session.execute(line);
    }

    /** Runs a command line and returns its result as the shell prints it. */
    String run(String line) throws Exception {
        Object result = session.execute(line);
        return result == null ? "" : session.format(result, Converter.INSPECT).toString();
    }

    /** What the commands wrote to the session's output (not their results) so far. */
    String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        session.close();
        threadIO.stop();
        registry.close();
    }

    /** Commands that stand in for a shell's own (gogo.jline's cat, grep). */
    public static final class TestCommands {
        /** Its input as one string: the other end of a pipe. */
        public String cat() throws IOException {
            return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
