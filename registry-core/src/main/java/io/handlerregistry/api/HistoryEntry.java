package io.handlerregistry.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One version an endpoint served, as its history keeps it (see {@link HandlerRegistry#history(String)}):
 * immutable. An entry is a period of serving: a version that serves again later (a rollback) gets a
 * new entry, with the same SHA-256.
 *
 * @param number          its number in the endpoint's history: 1, 2, 3, ... in the order the versions
 *                        took effect, never reused (also across restarts)
 * @param version         the version its provider gave it (a handler bundle's version), the version
 *                        rolled back to for a rollback, or empty for a library file
 * @param source          where it came from
 * @param origin          where exactly, for people: the deploy file and bundle, the bundle, the
 *                        library file given to a load or swap, or the rollback and what it rolled back to
 * @param sha256          the SHA-256 of its library (lower-case hex), or null for a handler written in
 *                        Java (no library)
 * @param isolation       where its library ran
 * @param servedFrom      when it took effect
 * @param servedTo        when it stopped serving, or null while it serves
 * @param replacedBecause why it stopped serving (what replaced it, an unload, the registry stopping),
 *                        or null while it serves
 * @param rollbackOf      for a version a rollback made: the number of the entry it rolled back to; else 0
 * @param kept            whether its library is kept on disk, so that a rollback can go back to it
 */
public record HistoryEntry(int number, String version, Source source, String origin, String sha256,
        Isolation isolation, Instant servedFrom, Instant servedTo, String replacedBecause, int rollbackOf,
        boolean kept) {

    /** Where a version came from. */
    public enum Source {
        /** A handler bundle from a deploy folder (the registry's own, or a FileInstall folder such as Karaf's). */
        FILE,
        /** A handler bundle installed otherwise (a feature, {@code bundle:install}), or a Java {@code Handler} service. */
        BUNDLE,
        /** A load, swap or rollback through the API or the shell. */
        API
    }

    public HistoryEntry {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(servedFrom, "servedFrom");
    }

    /** True while this version serves its endpoint. */
    public boolean serving() {
        return servedTo == null;
    }

    /** {@link #servedTo()}, empty while it serves. */
    public Optional<Instant> until() {
        return Optional.ofNullable(servedTo);
    }

    /** True for a version made by a rollback: while it serves, it pins its endpoint (see the README). */
    public boolean isRollback() {
        return rollbackOf > 0;
    }

    /** How people name it: {@code #3 (1.0.0)}, or {@code #3} without a version. */
    public String label() {
        return "#" + number + (version.isEmpty() ? "" : " (" + version + ")");
    }
}
