package io.handlerregistry.engine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/**
 * A JVM of its own for {@link ProcessIsolationTest}: loads echo in process isolation, writes its
 * worker's pid to the file given, and waits to be killed.
 */
public final class IsolatedChild {
    private IsolatedChild() {
    }

    public static void main(String[] args) throws Exception {
        NativeHandlerRegistry registry = NativeHandlerRegistry.create(TestLibraries.dir());
        registry.loadFrom("echo", TestLibraries.library("echo"), Isolation.PROCESS);
        registry.execute("echo", RequestContext.create(), HandlerRequest.of("hi"));
        long pid = registry.handler("echo").orElseThrow().workers().orElseThrow().pids().get(0);
        Path file = Path.of(args[0]);
        Path temporary = Files.writeString(file.resolveSibling("pid.tmp"), Long.toString(pid), StandardCharsets.US_ASCII);
        Files.move(temporary, file);
        Thread.sleep(Long.MAX_VALUE);
    }
}
