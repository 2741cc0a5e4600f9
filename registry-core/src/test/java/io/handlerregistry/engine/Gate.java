package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.handlerregistry.api.HandlerRequest;

/** Holds calls of the slow test handler inside native code until the test opens it. */
final class Gate {
    private final Path file;

    Gate(Path directory, String name) {
        this.file = directory.resolve(name + ".gate");
    }

    /** A request body that makes the slow handler wait for this gate. */
    HandlerRequest request() {
        return HandlerRequest.of("wait:" + file);
    }

    void open() {
        try {
            Files.writeString(file, "open");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
