package io.handlerregistry.osgi;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.osgi.framework.ServiceReference;

/**
 * A Gogo session in an embedded framework, as a console (gogo.shell, the Equinox console) opens one:
 * the CommandProcessor service of the gogo.runtime bundle, called through reflection (its API
 * package is the framework's business, not shared with the test). With gogo.command's commands
 * (help, lb...) and the handler commands of registry-shell.
 */
final class GogoConsole {
    /** gogo.runtime, gogo.command and registry-shell, copied by the build. */
    static final List<Path> BUNDLES = List.of(OsgiFramework.BUNDLES.resolve("org.apache.felix.gogo.runtime.jar"),
            OsgiFramework.BUNDLES.resolve("org.apache.felix.gogo.command.jar"),
            OsgiFramework.BUNDLES.resolve("registry-shell.jar"));

    private final Object session;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    GogoConsole(OsgiFramework osgi) throws Exception {
        String processorClass = "org.apache.felix.service.command.CommandProcessor";
        await().atMost(Duration.ofSeconds(30)).until(() -> osgi.context().getServiceReference(processorClass) != null
                && osgi.context().getServiceReferences((String) null,
                        "(&(osgi.command.scope=handler)(osgi.command.function=list))") != null);
        ServiceReference<?> reference = osgi.context().getServiceReference(processorClass);
        Object processor = osgi.context().getService(reference);
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        session = processor.getClass().getMethod("createSession", InputStream.class, OutputStream.class,
                OutputStream.class).invoke(processor, InputStream.nullInputStream(), out, out);
    }

    /** Runs a command line; returns its result as a console prints it, and what it printed itself. */
    String run(String line) throws Exception {
        output.reset();
        Object result;
        try {
            result = method("execute", CharSequence.class).invoke(session, line);
        } catch (InvocationTargetException e) {
            return output.toString(StandardCharsets.UTF_8) + e.getCause();
        }
        String formatted = result == null ? ""
                : String.valueOf(method("format", Object.class, int.class).invoke(session, result, 0));
        return output.toString(StandardCharsets.UTF_8) + formatted;
    }

    private Method method(String name, Class<?>... types) throws NoSuchMethodException {
        for (Class<?> type : session.getClass().getInterfaces()) {
            if (type.getName().equals("org.apache.felix.service.command.CommandSession")) {
                return type.getMethod(name, types);
            }
        }
        return session.getClass().getMethod(name, types);
    }
}
