package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;

/**
 * The private copy a library version is loaded from. The platform loader returns the image it
 * already has for a path it loaded before, so every version gets a file of its own; the copy is
 * checked (not the source, which may change meanwhile) and deleted after the version is unloaded.
 */
final class LibraryCopy {
    private final Path path;

    private LibraryCopy(Path path) {
        this.path = path;
    }

    /**
     * Copies {@code source} into {@code directory} under a unique name and checks the copy is a
     * complete library for this platform.
     */
    static LibraryCopy of(String endpointId, Path source, Path directory, long generation) {
        BasicFileAttributes before = attributes(endpointId, source);
        Path copy;
        try {
            copy = Files.createTempFile(directory, generation + "-", "-" + source.getFileName());
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                    + "': cannot create a private copy of " + source + " in " + directory + ": " + e
                    + "; check that directory is writable", e);
        }
        LibraryCopy result = new LibraryCopy(copy);
        boolean ok = false;
        try {
            long copied;
            try {
                Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
                copied = Files.size(copy);
            } catch (IOException e) {
                throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                        + "': cannot copy " + source + " to " + copy + ": " + e, e);
            }
            BasicFileAttributes after = attributes(endpointId, source);
            if (before.size() != after.size() || !before.lastModifiedTime().equals(after.lastModifiedTime())
                    || copied != after.size()) {
                throw new HandlerLoadException(endpointId, source, Reason.FILE_CHANGED, "endpoint '" + endpointId
                        + "': " + source + " changed while it was being copied (is a copy still in progress?):"
                        + " write new builds to a temporary name and rename them into place, then retry");
            }
            checkHeader(endpointId, source, copy);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                result.delete();
            }
        }
    }

    /**
     * Takes charge of a file that already is a private copy (e.g. extracted from a bundle): checks
     * it and deletes it when done; deletes it at once if the check fails.
     */
    static LibraryCopy adopt(String endpointId, Path file) {
        LibraryCopy result = new LibraryCopy(file);
        boolean ok = false;
        try {
            checkHeader(endpointId, file, file);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                result.delete();
            }
        }
    }

    private static void checkHeader(String endpointId, Path source, Path copy) {
        try {
            LibraryHeader.check(endpointId, source, copy);
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                    + "': cannot read " + copy + ", the private copy of " + source + ": " + e, e);
        }
    }

    Path path() {
        return path;
    }

    void delete() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the library copy " + path, e);
        }
    }

    private static BasicFileAttributes attributes(String endpointId, Path source) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(source, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new HandlerLoadException(endpointId, source, Reason.FILE_NOT_FOUND, "endpoint '" + endpointId
                        + "': " + source + " is not a regular file: give the path of the handler library");
            }
            return attributes;
        } catch (NoSuchFileException e) {
            throw new HandlerLoadException(endpointId, source, Reason.FILE_NOT_FOUND, "endpoint '" + endpointId
                    + "': library file " + source + " does not exist: build or deploy it there, or give the"
                    + " right path", e);
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.FILE_NOT_FOUND, "endpoint '" + endpointId
                    + "': cannot read " + source + ": " + e, e);
        }
    }
}
