package io.handlerregistry.engine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;
import sun.misc.Signal;

/**
 * A JVM of its own for {@link WorkerProcessGroupTest}: leads a session and process group (as a JVM
 * started from a shell leads the terminal's foreground group), loads crashy in process isolation and
 * writes its worker's pid to {@code <report>.ready}. At SIGINT it stays up and writes to
 * {@code <report>} which worker answers a call then and how often workers were restarted.
 */
public final class SignalledChild {
    private SignalledChild() {
    }

    public static void main(String[] args) throws Exception {
        if (NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("setsid").invokeInt(new Object[0]) < 0) {
            throw new IllegalStateException("setsid failed");
        }
        // a shell without job control starts background commands with SIGINT ignored (a CI script run with
        // '&'), and the JVM then leaves it ignored: back to the default, as a terminal's foreground job has it
        NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("signal").invokePointer(new Object[] {2, null});
        Path report = Path.of(args[0]);
        NativeHandlerRegistry registry = NativeHandlerRegistry.create(TestLibraries.dir());
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        Signal.handle(new Signal("INT"), signal -> {
            String answer;
            try {
                String body = registry.execute("crashy", RequestContext.create(), HandlerRequest.of("hi")).bodyAsString();
                answer = "answered by " + body.substring("alive ".length()) + ", restarts "
                        + registry.handler("crashy").orElseThrow().workers().orElseThrow().restarts();
            } catch (RuntimeException e) {
                answer = "failed: " + e;
            }
            write(report, answer);
        });
        long pid = registry.handler("crashy").orElseThrow().workers().orElseThrow().pids().get(0);
        write(report.resolveSibling("report.ready"), Long.toString(pid));
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void write(Path file, String text) {
        try {
            Path temporary = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), text,
                    StandardCharsets.US_ASCII);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
