package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;

import io.handlerregistry.api.HandlerRegistry;

/** The gcc-built handler libraries of this module's build (see src/test/native/build.sh). */
final class TestLibraries {
    private static final Path DIR = Path.of(System.getProperty("handler.native.dir", "target/native"));

    private TestLibraries() {
    }

    static Path dir() {
        return DIR;
    }

    /** The library of an endpoint, e.g. {@code libhandler_echo.so}. */
    static Path library(String endpointId) {
        return DIR.resolve(HandlerRegistry.libraryFileName(endpointId));
    }

    /** One of the two builds of an endpoint that answer differently ("v1" or "v2"). */
    static Path version(String version, String endpointId) {
        return DIR.resolve(version).resolve(HandlerRegistry.libraryFileName(endpointId));
    }

    /** Puts {@code library} at {@code target} the safe way: write a new file, then rename over. */
    static Path install(Path library, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Path temp = Files.createTempFile(target.getParent(), "install-", ".tmp");
            Files.copy(library, temp, StandardCopyOption.REPLACE_EXISTING);
            return Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of /proc/self/maps that map {@code file}: non-empty while it is loaded. */
    static List<String> mappingsOf(Path file) {
        try {
            String name = file.toAbsolutePath().toString();
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(line -> line.contains(name))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
