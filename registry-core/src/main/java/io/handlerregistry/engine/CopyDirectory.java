package io.handlerregistry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks the directory the private library copies go to, when the registry starts: it must be
 * writable, and its file system must allow executable mappings (a {@code noexec} mount, common for
 * /tmp on hardened hosts, made every load fail with the loader's "failed to map segment").
 */
final class CopyDirectory {
    private static final Path MOUNTS = Path.of("/proc/self/mounts");

    private CopyDirectory() {
    }

    /** Creates the directory if needed and checks it; the exception says what to change. */
    static Path prepare(Path directory, String setting) {
        try {
            Files.createDirectories(directory);
            Path probe = Files.createTempFile(directory, "probe-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new UncheckedIOException("the directory for private library copies, " + directory
                    + ", is not writable (" + e + "): make it writable or set " + setting + " to another one", e);
        }
        if (Files.isReadable(MOUNTS)) {
            try {
                String mount = noexecMountOf(directory.toRealPath(), Files.readAllLines(MOUNTS));
                if (mount != null) {
                    throw new IllegalStateException("the directory for private library copies, " + directory
                            + ", is on " + mount + ", mounted noexec: no library can be loaded from it; set "
                            + setting + " to a directory on a file system that allows executable mappings");
                }
            } catch (IOException e) {
                // no mount table to read: the loader will say so at the first load
            }
        }
        return directory;
    }

    /**
     * The mount point holding {@code directory} when it is mounted {@code noexec}, else null.
     *
     * @param mounts lines of /proc/self/mounts: device, mount point, type, options, ...
     */
    static String noexecMountOf(Path directory, List<String> mounts) {
        String best = null;
        boolean noexec = false;
        for (String line : mounts) {
            String[] fields = line.split(" ");
            if (fields.length < 4) {
                continue;
            }
            String mountPoint = fields[1].replace("\\040", " ");
            if (directory.startsWith(mountPoint) && (best == null || mountPoint.length() >= best.length())) {
                best = mountPoint;
                noexec = List.of(fields[3].split(",")).contains("noexec");
            }
        }
        return noexec ? best : null;
    }
}
