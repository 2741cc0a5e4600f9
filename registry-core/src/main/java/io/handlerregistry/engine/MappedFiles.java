package io.handlerregistry.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Whether a file is still mapped into this process, from /proc/self/maps (Linux). After an unload
 * the platform loader may keep a library mapped: a thread-local with a destructor (C++
 * {@code thread_local} of a class type, Rust {@code thread_local!} holding heap data) holds it
 * while any thread that touched it lives. Elsewhere there is no such view, and nothing is reported.
 */
final class MappedFiles {
    private static final Path MAPS = Path.of("/proc/self/maps");

    private MappedFiles() {
    }

    /** True if {@code file} (deleted since, or not) is mapped; false where that cannot be known. */
    static boolean isMapped(Path file) {
        if (!Files.isReadable(MAPS)) {
            return false;
        }
        String name = file.toAbsolutePath().toString();
        try (Stream<String> lines = Files.lines(MAPS)) {
            return lines.anyMatch(line -> line.endsWith(name) || line.endsWith(name + " (deleted)"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
