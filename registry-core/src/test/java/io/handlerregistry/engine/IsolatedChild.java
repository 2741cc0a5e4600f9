package io.handlerregistry.engine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/**
 * A JVM of its own for {@link ProcessIsolationTest}: loads crashy in process isolation, has it start
 * a process that sleeps, writes its worker's pid and that process's pid to the file given, and waits
 * to be killed.
 */
public final class IsolatedChild {
    private IsolatedChild() {
    }

    public static void main(String[] args) throws Exception {
        NativeHandlerRegistry registry = NativeHandlerRegistry.create(TestLibraries.dir());
        registry.loadFrom("crashy", TestLibraries.library("crashy"), Isolation.PROCESS);
        String answer = registry.execute("crashy", RequestContext.create(), HandlerRequest.of("fork")).bodyAsString();
        String[] words = answer.split(" "); // alive <worker> child <child>
        Path file = Path.of(args[0]);
        Path temporary = Files.writeString(file.resolveSibling("pid.tmp"), words[1] + " " + words[3],
                StandardCharsets.US_ASCII);
        Files.move(temporary, file);
        Thread.sleep(Long.MAX_VALUE);
    }
}
