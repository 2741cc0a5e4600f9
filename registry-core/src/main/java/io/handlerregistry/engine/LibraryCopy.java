package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;

/**
 * The private copy a library version is loaded from. The platform loader returns the image it
 * already has for a path it loaded before, so every version gets a directory of its own holding
 * the library under its own name; the copy is checked (not the source, which may change
 * meanwhile) and deleted with its directory after the version is unloaded. A library that finds
 * its dependencies next to itself ({@code $ORIGIN} in its run path) finds them there too: the
 * directory then links to everything beside the source.
 */
final class LibraryCopy {
    private final Path path;
    private final Path directory; // the version's own directory, or null for an adopted file

    private LibraryCopy(Path path, Path directory) {
        this.path = path;
        this.directory = directory;
    }

    /**
     * Copies {@code source} into a new directory under {@code copies} (created again if it was
     * deleted) and checks the copy is a complete library for this platform.
     */
    static LibraryCopy of(String endpointId, Path source, Path copies, long generation) {
        BasicFileAttributes before = attributes(endpointId, source);
        try {
            LibraryHeader.checkMagic(endpointId, source); // a large file that is no library is not copied
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.FILE_NOT_FOUND, "endpoint '" + endpointId
                    + "': cannot read " + source + ": " + e, e);
        }
        Path directory;
        try {
            directory = Files.createTempDirectory(Files.createDirectories(copies), generation + "-");
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                    + "': cannot create a private copy of " + source + " in " + copies + ": " + e
                    + "; check that directory is writable (the registry's copy directory setting)", e);
        }
        LibraryCopy result = new LibraryCopy(directory.resolve(source.getFileName().toString()), directory);
        boolean ok = false;
        try {
            long copied;
            try {
                Files.copy(source, result.path, StandardCopyOption.REPLACE_EXISTING);
                copied = Files.size(result.path);
            } catch (IOException e) {
                throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                        + "': cannot copy " + source + " to " + result.path + ": " + e, e);
            }
            BasicFileAttributes after = attributes(endpointId, source);
            if (before.size() != after.size() || !before.lastModifiedTime().equals(after.lastModifiedTime())
                    || copied != after.size()) {
                throw new HandlerLoadException(endpointId, source, Reason.FILE_CHANGED, "endpoint '" + endpointId
                        + "': " + source + " changed while it was being copied (is a copy still in progress?):"
                        + " write new builds to a temporary name and rename them into place, then retry");
            }
            DynamicSection dynamic = checkHeader(endpointId, source, result.path);
            if (dynamic != null && dynamic.usesOrigin()) {
                result.linkSiblingsOf(endpointId, source);
            }
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
        LibraryCopy result = new LibraryCopy(file, null);
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

    private static DynamicSection checkHeader(String endpointId, Path source, Path copy) {
        try {
            return LibraryHeader.check(endpointId, source, copy);
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                    + "': cannot read " + copy + ", the private copy of " + source + ": " + e, e);
        }
    }

    /** Links every file and directory beside the source into this version's directory. */
    private void linkSiblingsOf(String endpointId, Path source) {
        Path parent = source.toAbsolutePath().getParent();
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent)) {
            for (Path sibling : siblings) {
                Path link = directory.resolve(sibling.getFileName().toString());
                if (!link.equals(path)) {
                    Files.createSymbolicLink(link, sibling.toAbsolutePath());
                }
            }
        } catch (IOException e) {
            throw new HandlerLoadException(endpointId, source, Reason.LOAD_FAILED, "endpoint '" + endpointId
                    + "': " + source + " finds its dependencies next to itself ($ORIGIN), but the files beside"
                    + " it could not be linked into " + directory + ": " + e, e);
        }
    }

    Path path() {
        return path;
    }

    /** Deletes the copy, and its directory with the links in it (never what they point to). */
    void delete() {
        try {
            Files.deleteIfExists(path);
            if (directory != null && Files.isDirectory(directory)) {
                try (DirectoryStream<Path> links = Files.newDirectoryStream(directory)) {
                    for (Path link : links) {
                        Files.deleteIfExists(link); // a symbolic link: deletes the link itself
                    }
                }
                Files.deleteIfExists(directory);
            }
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
