package io.handlerregistry.osgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Kubernetes ConfigMap volume, written the way the kubelet's atomic writer writes one
 * (pkg/volume/util/atomic_writer.go): the files go into a new hidden directory
 * {@code ..2026_12_06_20_00_00.123456789} (0755, files 0644), a symlink {@code ..data_tmp} to it is
 * renamed over {@code ..data}, the visible names are symlinks {@code name -> ..data/name} (made after
 * the rename for new names), names no longer in the map are removed, then the previous directory.
 *
 * <p>The consumer sees {@link #mount()}, which is read-only: as root a read-only bind mount of the
 * directory the writer writes (what the kubelet gives a container), else the same directory made
 * read-only by its permissions (the writer lifts them for its own writes).
 */
final class ConfigMapVolume implements AutoCloseable {
    private static final String DATA = "..data";
    private static final String DATA_TMP = "..data_tmp";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss'.'");

    private final Path source;
    private final Path mount;
    private final boolean bindMounted;
    private final List<String> writes = new ArrayList<>();

    /** A volume written in {@code source} and seen at {@code mount} (a new empty directory each). */
    ConfigMapVolume(Path source, Path mount) throws IOException, InterruptedException {
        this.source = Files.createDirectories(source);
        this.mount = Files.createDirectories(mount);
        this.bindMounted = "root".equals(System.getProperty("user.name"))
                && run("mount", "--bind", source.toString(), mount.toString())
                && (run("mount", "-o", "remount,bind,ro", mount.toString()) || !unmount());
        readOnly(bindMounted ? null : source);
    }

    /** Where the consumer looks: read-only. */
    Path mount() {
        return bindMounted ? mount : source;
    }

    /** How the mount is read-only, for the test's messages. */
    String readOnlyBy() {
        return bindMounted ? "a read-only bind mount" : "its permissions (0555)";
    }

    /** Writes the files of a new version of the ConfigMap, as the kubelet's AtomicWriter.Write does. */
    void write(Map<String, byte[]> payload) throws IOException {
        writable(source);
        try {
            Path data = source.resolve(DATA);
            String oldDir = Files.isSymbolicLink(data) ? Files.readSymbolicLink(data).toString() : null;
            Set<String> toRemove = new TreeSet<>();
            try (Stream<Path> visible = Files.list(source)) {
                visible.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".."))
                        .filter(n -> !payload.containsKey(n)).forEach(toRemove::add);
            }
            // (5) a new timestamped directory: Go's os.MkdirTemp(dir, "..2006_01_02_15_04_05.")
            Path tsDir = source.resolve(STAMP.format(ZonedDateTime.now(ZoneOffset.UTC))
                    + Integer.toUnsignedString(ThreadLocalRandom.current().nextInt()));
            Files.createDirectory(tsDir);
            Files.setPosixFilePermissions(tsDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            // (6) the payload into it
            for (var file : new TreeMap<>(payload).entrySet()) {
                Path target = tsDir.resolve(file.getKey());
                Files.write(target, file.getValue());
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
            }
            readOnly(bindMounted ? null : tsDir);
            // (7) ..data_tmp -> the new directory, (8) renamed over ..data: the atomic switch
            Path tmp = source.resolve(DATA_TMP);
            Files.createSymbolicLink(tmp, tsDir.getFileName());
            Files.move(tmp, data, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            // (9) visible names that are new: name -> ..data/name
            for (String name : payload.keySet()) {
                Path visible = source.resolve(name);
                if (!Files.isSymbolicLink(visible)) {
                    Files.createSymbolicLink(visible, Path.of(DATA, name));
                }
            }
            // (10) visible names no longer in the ConfigMap, (11) the previous directory
            for (String name : toRemove) {
                Files.delete(source.resolve(name));
            }
            if (oldDir != null) {
                Path old = source.resolve(oldDir);
                writable(old);
                try (Stream<Path> files = Files.list(old)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.delete(f);
                    }
                }
                Files.delete(old);
            }
            writes.add(tsDir.getFileName().toString());
        } finally {
            readOnly(bindMounted ? null : source);
        }
    }

    /**
     * Every entry of the volume with what identifies it (a link's target; a file's size, time and
     * content hash), the hidden directories' files included: what must be the same before and after
     * the consumer read it.
     */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> all = new TreeMap<>();
        try (Stream<Path> entries = Files.walk(source)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = source.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    all.put(name, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    all.put(name, Files.size(p) + " bytes, modified "
                            + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS) + ", hash "
                            + java.util.Arrays.hashCode(Files.readAllBytes(p)));
                } else if (!name.isEmpty()) {
                    all.put(name, "directory");
                }
            }
        }
        return all;
    }

    /** The hidden timestamped directories written so far, oldest first. */
    List<String> writes() {
        return List.copyOf(writes);
    }

    @Override
    public void close() throws IOException {
        if (bindMounted) {
            unmount();
        }
        writable(source);
        try (Stream<Path> dirs = Files.walk(source)) {
            dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(ConfigMapVolume::writableQuietly);
        }
    }

    private boolean unmount() {
        try {
            return run("umount", mount.toString());
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static void readOnly(Path dir) throws IOException {
        if (dir != null) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
    }

    private static void writable(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void writableQuietly(Path dir) {
        try {
            writable(dir);
        } catch (IOException e) {
            // left as it is: @TempDir says so if it cannot delete it
        }
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
