package io.handlerregistry.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;

import com.sun.jna.Platform;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;

/**
 * handler-worker, the host program of process isolation: the registry's jar carries it as
 * {@code native/<platform>/handler-worker}, and it is written once into a directory that allows
 * executing it (the copy directory), under a name with its checksum so that an upgrade of the
 * registry never runs an older one. The system property {@value #PROGRAM_PROPERTY} names an installed
 * one instead.
 */
final class WorkerProgram {
    /** A worker program installed elsewhere, used instead of the one in the jar. */
    static final String PROGRAM_PROPERTY = "io.handlerregistry.worker";
    private static final String RESOURCE = "/native/" + Platform.RESOURCE_PREFIX + "/handler-worker";
    private static final Map<Path, Path> EXTRACTED = new ConcurrentHashMap<>();

    private WorkerProgram() {
    }

    /**
     * The worker program, written into {@code directory} if it is not there yet.
     *
     * @throws HandlerLoadException with {@link Reason#ISOLATION_UNAVAILABLE} on other platforms
     */
    static Path in(Path directory, String endpointId, Path file) {
        String installed = System.getProperty(PROGRAM_PROPERTY);
        if (installed != null && !installed.isBlank()) {
            return Path.of(installed.strip());
        }
        if (!Platform.isLinux()) {
            throw unavailable(endpointId, file, "process isolation is built for Linux only, and this is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                    + ": load the endpoint in-process");
        }
        try {
            Path known = EXTRACTED.get(directory.toAbsolutePath());
            if (known != null && Files.isExecutable(known)) {
                return known;
            }
            Path program = extract(directory.toAbsolutePath()); // again if a temp cleaner deleted it
            EXTRACTED.put(directory.toAbsolutePath(), program);
            return program;
        } catch (IllegalStateException e) {
            throw unavailable(endpointId, file, e.getMessage());
        }
    }

    private static Path extract(Path directory) {
        byte[] program;
        try (InputStream in = WorkerProgram.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the registry has no worker program for " + Platform.RESOURCE_PREFIX
                        + " (" + RESOURCE + " is not in its jar): process isolation is built where the registry"
                        + " is built; load the endpoint in-process, or set -D" + PROGRAM_PROPERTY
                        + " to a handler-worker built for this platform");
            }
            program = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the worker program " + RESOURCE + ": " + e, e);
        }
        CRC32 crc = new CRC32();
        crc.update(program);
        Path target = directory.resolve("handler-worker-" + Long.toHexString(crc.getValue()));
        try {
            if (Files.isExecutable(target) && Files.size(target) == program.length) {
                return target;
            }
            Files.createDirectories(directory);
            Path temporary = Files.createTempFile(directory, "handler-worker", ".tmp");
            Files.write(temporary, program);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the worker program to " + target + ": " + e
                    + "; set the copy directory to a writable one, or -D" + PROGRAM_PROPERTY, e);
        }
    }

    /** Deletes the worker programs written into a directory that is about to be deleted. */
    static void deleteIn(Path directory) throws IOException {
        EXTRACTED.remove(directory.toAbsolutePath());
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (var programs = Files.newDirectoryStream(directory, "handler-worker-*")) {
            for (Path program : programs) {
                Files.deleteIfExists(program);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // deleted meanwhile: the close and the last unload both clean up, whichever comes first
        }
    }

    private static HandlerLoadException unavailable(String endpointId, Path file, String why) {
        return new HandlerLoadException(endpointId, file, Reason.ISOLATION_UNAVAILABLE,
                "endpoint '" + endpointId + "' cannot run in process isolation: " + why);
    }
}
