package io.handlerregistry.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;

/**
 * Where a version comes from, for its entry in the endpoint's history: the kind of source, a
 * description, its provider's version, and the library file to keep (with its SHA-256) so that a
 * rollback can go back to it. A handler written in Java has no library.
 *
 * @param source     file (deploy folder), bundle or API
 * @param origin     for people: the deploy file and bundle, the library path, the rollback
 * @param version    the provider's version, or empty
 * @param library    the private copy that was loaded (kept by a hard link or a copy), or null
 * @param sha256     the SHA-256 of {@code library}, or null
 * @param isolation  where the library runs
 * @param rollbackOf the history entry a rollback went back to, else 0
 */
public record Provenance(HistoryEntry.Source source, String origin, String version, Path library, String sha256,
        Isolation isolation, int rollbackOf) {

    public Provenance {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(origin, "origin");
        version = version == null ? "" : version;
        Objects.requireNonNull(isolation, "isolation");
        if ((library == null) != (sha256 == null)) {
            throw new IllegalArgumentException("a library needs its SHA-256, and a SHA-256 its library");
        }
    }

    /** A handler bundle's library (or a Java handler service's: library and sha256 null). */
    public static Provenance ofBundle(boolean fromDeployFolder, String origin, String version, Path library,
            String sha256, Isolation isolation) {
        return new Provenance(fromDeployFolder ? HistoryEntry.Source.FILE : HistoryEntry.Source.BUNDLE, origin,
                version, library, sha256, isolation, 0);
    }

    /** The same, with the library that was loaded. */
    Provenance withLibrary(Path loaded, String sha) {
        return new Provenance(source, origin, version, loaded, sha, isolation, rollbackOf);
    }

    /** The SHA-256 of a file, lower-case hex. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to compute its SHA-256", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
