package io.handlerregistry.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;

/**
 * The version history of every endpoint: the last {@code size} versions each served, and the library
 * of each (a hard link to the private copy that was loaded, or a copy of it where no link can be made),
 * kept on disk under {@code <directory>/<endpoint>/<sha-256>/<file name>} for as long as an entry names
 * it. Shared by content: two entries with the same library keep one file.
 *
 * <p>Each endpoint's entries are written to {@code <directory>/<endpoint>/history.properties} after
 * every change, atomically (a new file renamed over the old one), so that a registry started again on
 * the same directory finds them. Entries that served when the registry stopped are closed then
 * ("the registry stopped"); the first version of the endpoint that serves again continues such an
 * entry when it is the same library (a restart is no new version).
 *
 * <p>Thread safety: each endpoint's history is its own monitor; the registry changes it while it
 * holds the endpoint's {@link EndpointOrder}, so its entries are in the order the versions took effect.
 */
final class VersionHistory {
    static final String STOPPED = "the registry stopped";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    private static final String FILE = "history.properties";
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern NUMBER = Pattern.compile("#?([0-9]{1,9})");

    private final Path directory;
    private volatile int size;
    private final ConcurrentHashMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();

    /** Reads what {@code directory} holds from an earlier run (creating it if needed). */
    VersionHistory(Path directory, int size) {
        this.directory = directory.toAbsolutePath();
        this.size = checkSize(size);
        try {
            Files.createDirectories(this.directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the history directory " + directory + ": " + e
                    + "; make it writable or set the registry's history directory to another one", e);
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(this.directory)) {
            for (Path dir : dirs) {
                String id = dir.getFileName().toString();
                if (Files.isRegularFile(dir.resolve(FILE))) {
                    try {
                        HandlerRegistry.checkEndpointId(id);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    Endpoint endpoint = new Endpoint(id, dir);
                    endpoint.read();
                    endpoints.put(id, endpoint);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the history directory {0}: {1}; the history starts empty",
                    directory, e.toString());
        }
    }

    static int checkSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("the history size must be at least 1 (the version serving): " + size);
        }
        return size;
    }

    Path directory() {
        return directory;
    }

    int size() {
        return size;
    }

    /** Keeps at most {@code newSize} versions per endpoint from now on; fewer at once if it shrinks. */
    void resize(int newSize) {
        size = checkSize(newSize);
        for (Endpoint e : endpoints.values()) {
            e.pruneAndWrite();
        }
    }

    private Endpoint of(String endpointId) {
        return endpoints.computeIfAbsent(endpointId, id -> new Endpoint(id, directory.resolve(id)));
    }

    /** The entries of an endpoint, newest first. */
    List<HistoryEntry> entries(String endpointId) {
        Endpoint e = endpoints.get(endpointId);
        return e == null ? List.of() : e.snapshot();
    }

    /** A version took effect (call while holding the endpoint's order). */
    void served(String endpointId, Provenance provenance) {
        of(endpointId).served(provenance, Instant.now());
    }

    /**
     * The endpoint stopped serving without a successor: an unload (call while holding its order).
     *
     * @param stopping true if the application stops: the same library serving after the next start continues it
     */
    void ended(String endpointId, String why, boolean stopping) {
        Endpoint e = endpoints.get(endpointId);
        if (e != null) {
            e.ended(why, Instant.now(), stopping);
        }
    }

    /** The registry stops: every serving entry ends, to be continued by the same library at the next start. */
    void stopped() {
        Instant now = Instant.now();
        for (Endpoint e : endpoints.values()) {
            e.ended(STOPPED, now, true);
        }
    }

    /** The entry a rollback goes to; see {@link io.handlerregistry.api.HandlerRegistry#rollback(String, String)}. */
    HistoryEntry target(String endpointId, String version) {
        Endpoint e = endpoints.get(endpointId);
        if (e == null) {
            throw new HandlerLoadException(endpointId, null, Reason.NOT_IN_HISTORY, "endpoint '" + endpointId
                    + "' has no history: it never served here (handler:list shows what is loaded)");
        }
        return e.target(version);
    }

    /** The kept library of an entry, or FILE_NOT_FOUND. */
    Path keptLibrary(String endpointId, HistoryEntry entry) {
        Path file = of(endpointId).keptFile(entry.sha256());
        if (file == null) {
            throw new HandlerLoadException(endpointId, directory.resolve(endpointId).resolve(entry.sha256()),
                    Reason.FILE_NOT_FOUND, "endpoint '" + endpointId + "': the kept library of " + entry.label()
                            + " is gone from " + directory.resolve(endpointId) + " (deleted by hand?): roll back"
                            + " to another version (handler:history " + endpointId + "), or deploy it again");
        }
        return file;
    }

    /** What a rollback holds back (see the registry): the sources that stood by when it took effect. */
    Set<String> heldBack(String endpointId) {
        Endpoint e = endpoints.get(endpointId);
        return e == null ? Set.of() : e.heldBack();
    }

    void holdBack(String endpointId, Set<String> sources) {
        of(endpointId).holdBack(sources);
    }

    /** The entries that were rollbacks serving when the registry last stopped, by endpoint. */
    List<HistoryEntry> pinnedAtStop(String endpointId) {
        Endpoint e = endpoints.get(endpointId);
        return e == null ? List.of() : e.pinnedAtStop();
    }

    Set<String> endpointIds() {
        return new TreeSet<>(endpoints.keySet());
    }

    /** Deletes the directory and everything in it (a registry's own temporary history). */
    void deleteAll() {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete the history directory {0}: {1}", directory, e.toString());
        }
    }

    /** One endpoint's history. Guarded by itself. */
    private final class Endpoint {
        private final String id;
        private final Path dir;
        private final List<HistoryEntry> entries = new ArrayList<>(); // newest first
        private int next = 1;
        private int resumable; // the entry that served when the registry stopped, or 0
        private Set<String> heldBack = Set.of();
        private final java.util.Map<String, String> names = new java.util.HashMap<>(); // SHA-256 -> kept file name

        Endpoint(String id, Path dir) {
            this.id = id;
            this.dir = dir;
        }

        synchronized List<HistoryEntry> snapshot() {
            List<HistoryEntry> list = new ArrayList<>(entries.size());
            for (HistoryEntry e : entries) {
                boolean kept = e.sha256() != null && keptFile(e.sha256()) != null;
                list.add(kept == e.kept() ? e : with(e, e.servedTo(), e.replacedBecause(), kept));
            }
            return List.copyOf(list);
        }

        synchronized void served(Provenance p, Instant now) {
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            if (resumable != 0 && top != null && top.number() == resumable && continues(top, p)) {
                resumable = 0;
                entries.set(0, with(top, null, null, false));
                keep(p, top);
                write();
                return;
            }
            resumable = 0;
            int number = next++;
            if (top != null && top.serving()) {
                entries.set(0, with(top, now, p.rollbackOf() > 0 ? (p.origin().startsWith(
                        NativeHandlerRegistry.GUARD_ROLLBACK) ? "rolled back by the guard to #" : "rolled back to #")
                        + p.rollbackOf()
                        + " (as #" + number + ")" : "replaced by #" + number + ": " + p.origin(), false));
            }
            heldBack = Set.of();
            HistoryEntry entry = new HistoryEntry(number, p.version(), p.source(), p.origin(), p.sha256(),
                    p.isolation(), now, null, null, p.rollbackOf(), false);
            entries.add(0, entry);
            keep(p, entry);
            prune();
            write();
        }

        /** The same library as the entry that served when the registry stopped, made the same way. */
        private boolean continues(HistoryEntry top, Provenance p) {
            return (top.rollbackOf() > 0) == (p.rollbackOf() > 0) && top.source() == p.source()
                    && (top.sha256() != null ? top.sha256().equals(p.sha256())
                            : p.sha256() == null && top.origin().equals(p.origin()));
        }

        synchronized void ended(String why, Instant now, boolean registryStops) {
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            if (top == null || !top.serving()) {
                return;
            }
            entries.set(0, with(top, now, why, false));
            if (registryStops) {
                resumable = top.number();
            } else {
                heldBack = Set.of();
            }
            write();
        }

        synchronized Set<String> heldBack() {
            return heldBack;
        }

        synchronized void holdBack(Set<String> sources) {
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            if (top != null && top.serving() && top.isRollback()) {
                heldBack = Set.copyOf(sources);
                write();
            }
        }

        synchronized List<HistoryEntry> pinnedAtStop() {
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            return top != null && top.number() == resumable && top.isRollback() ? List.of(top) : List.of();
        }

        synchronized HistoryEntry target(String version) {
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            HistoryEntry serving = top != null && top.serving() ? top : null;
            String servingSha = serving == null ? null : serving.sha256();
            HistoryEntry found = null;
            if (version == null || version.isBlank()) {
                for (HistoryEntry e : entries) {
                    if (e != serving && e.sha256() != null && !e.sha256().equals(servingSha)
                            && keptFile(e.sha256()) != null) {
                        return e;
                    }
                }
                throw new HandlerLoadException(id, null, Reason.NOT_IN_HISTORY, "endpoint '" + id + "' has no"
                        + " earlier version to roll back to: its history holds " + summary() + " (it keeps "
                        + size + " versions, setting history.size)");
            }
            String wanted = version.strip();
            var number = NUMBER.matcher(wanted);
            if (number.matches()) {
                int n = Integer.parseInt(number.group(1));
                found = entries.stream().filter(e -> e.number() == n).findFirst().orElse(null);
            } else {
                found = entries.stream().filter(e -> e != serving && e.version().equals(wanted)).findFirst()
                        .orElse(serving != null && serving.version().equals(wanted) ? serving : null);
            }
            if (found == null) {
                throw new HandlerLoadException(id, null, Reason.NOT_IN_HISTORY, "endpoint '" + id + "' has no"
                        + " version '" + wanted + "' in its history, which holds " + summary() + ": name one of"
                        + " them by its number or version (handler:history " + id + ")");
            }
            if (found.sha256() == null) {
                throw new HandlerLoadException(id, null, Reason.NOT_IN_HISTORY, "endpoint '" + id + "': "
                        + found.label() + " is a handler written in Java (" + found.origin() + "), whose code the"
                        + " registry cannot keep: roll back to a native library version, or start that bundle again");
            }
            if (found.sha256().equals(servingSha)) {
                throw new HandlerLoadException(id, null, Reason.ALREADY_LOADED, "endpoint '" + id + "' is served by "
                        + serving.label() + (serving == found ? "" : ", which has the same library as " + found.label())
                        + " (SHA-256 " + found.sha256().substring(0, 12) + "...): nothing to roll back; handler:history "
                        + id + " shows the other versions");
            }
            return found;
        }

        /** "#5 (2.0.0, serving), #4 (1.0.0), #3": for messages. */
        private String summary() {
            List<String> parts = new ArrayList<>();
            for (HistoryEntry e : entries) {
                List<String> notes = new ArrayList<>();
                if (!e.version().isEmpty()) {
                    notes.add(e.version());
                }
                if (e.serving()) {
                    notes.add("serving");
                }
                if (e.sha256() == null) {
                    notes.add("Java, not kept");
                }
                parts.add("#" + e.number() + (notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")"));
            }
            return parts.isEmpty() ? "nothing" : String.join(", ", parts);
        }

        /** The kept library with this SHA-256, or null. */
        synchronized Path keptFile(String sha) {
            String name = names.get(sha);
            Path file = name == null ? null : dir.resolve(sha).resolve(name);
            return file != null && Files.isRegularFile(file) ? file : null;
        }

        /** Keeps the version's library under its SHA-256, unless a file is kept for it already. */
        private void keep(Provenance p, HistoryEntry entry) {
            if (p.library() == null || keptFile(p.sha256()) != null) {
                return;
            }
            Path shaDir = dir.resolve(p.sha256());
            Path target = shaDir.resolve(p.library().getFileName().toString());
            names.put(p.sha256(), target.getFileName().toString());
            Path temp = shaDir.resolve("." + target.getFileName() + ".tmp");
            try {
                Files.createDirectories(shaDir);
                Files.deleteIfExists(temp);
                try {
                    Files.createLink(temp, p.library()); // the private copy itself: no second copy on disk
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(p.library(), temp); // another file system
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                keepLinks(p.library().getParent(), shaDir);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "endpoint ''{0}'': cannot keep the library of {1} ({2}) in {3}: {4}; no"
                        + " rollback can go back to it", id, entry.label(), p.library(), shaDir, e.toString());
            }
        }

        /**
         * The links beside a private copy (to the files beside a library that finds its dependencies
         * there, $ORIGIN: see LibraryCopy) go beside the kept library too, so that a rollback finds them.
         */
        private void keepLinks(Path copyDirectory, Path shaDir) throws IOException {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(copyDirectory)) {
                for (Path f : files) {
                    Path link = shaDir.resolve(f.getFileName().toString());
                    if (Files.isSymbolicLink(f) && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, Files.readSymbolicLink(f));
                    }
                }
            }
        }

        synchronized void pruneAndWrite() {
            if (entries.size() > size) {
                prune();
                write();
            }
        }

        /** Drops the oldest entries past the size, and the kept libraries no entry names any more. */
        private void prune() {
            while (entries.size() > size) {
                entries.remove(entries.size() - 1);
            }
            Set<String> named = new HashSet<>();
            entries.forEach(e -> named.add(e.sha256()));
            names.keySet().retainAll(named);
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir)) {
                for (Path d : dirs) {
                    String name = d.getFileName().toString();
                    if (SHA.matcher(name).matches() && !named.contains(name)) {
                        deleteTree(d);
                    }
                }
            } catch (NoSuchFileException e) {
                // nothing kept yet
            } catch (IOException e) {
                LOG.log(Level.WARNING, "endpoint ''{0}'': cannot delete the libraries of versions past"
                        + " history.size in {1}: {2}", id, dir, e.toString());
            }
        }

        private void deleteTree(Path d) throws IOException {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(d);
        }

        /** Writes the entries to a new file and renames it over the old one. */
        private void write() {
            Properties out = new Properties();
            out.setProperty("format", "1");
            out.setProperty("endpoint", id);
            out.setProperty("next", String.valueOf(next));
            out.setProperty("resumable", String.valueOf(resumable));
            int h = 0;
            for (String s : new TreeSet<>(heldBack)) {
                out.setProperty("heldBack." + h++, s);
            }
            names.forEach((sha, name) -> out.setProperty("kept." + sha, name));
            for (int i = 0; i < entries.size(); i++) {
                HistoryEntry e = entries.get(i);
                String k = "entry." + i + ".";
                out.setProperty(k + "number", String.valueOf(e.number()));
                out.setProperty(k + "version", e.version());
                out.setProperty(k + "source", e.source().name());
                out.setProperty(k + "origin", e.origin());
                if (e.sha256() != null) {
                    out.setProperty(k + "sha256", e.sha256());
                }
                out.setProperty(k + "isolation", e.isolation().label());
                out.setProperty(k + "from", e.servedFrom().toString());
                if (e.servedTo() != null) {
                    out.setProperty(k + "to", e.servedTo().toString());
                    out.setProperty(k + "because", e.replacedBecause());
                }
                out.setProperty(k + "rollbackOf", String.valueOf(e.rollbackOf()));
            }
            Path file = dir.resolve(FILE);
            Path temp = dir.resolve("." + FILE + ".tmp");
            try {
                Files.createDirectories(dir);
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                        OutputStream stream = java.nio.channels.Channels.newOutputStream(channel)) {
                    out.store(stream, "version history of endpoint '" + id + "' (handler-registry): do not edit");
                    stream.flush();
                    channel.force(true);
                }
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "endpoint ''{0}'': cannot write its history to {1}: {2}; it is kept in"
                        + " memory, but a restart will not find it", id, file, e.toString());
            }
        }

        /** Reads the file an earlier run wrote; an entry that was serving then is closed now. */
        synchronized void read() {
            Path file = dir.resolve(FILE);
            Properties in = new Properties();
            try (InputStream stream = Files.newInputStream(file)) {
                in.load(stream);
                next = Integer.parseInt(in.getProperty("next", "1"));
                resumable = Integer.parseInt(in.getProperty("resumable", "0"));
                Set<String> held = new LinkedHashSet<>();
                for (int h = 0; in.getProperty("heldBack." + h) != null; h++) {
                    held.add(in.getProperty("heldBack." + h));
                }
                heldBack = Set.copyOf(held);
                for (String key : in.stringPropertyNames()) {
                    if (key.startsWith("kept.")) {
                        names.put(key.substring("kept.".length()), in.getProperty(key));
                    }
                }
                for (int i = 0; in.getProperty("entry." + i + ".number") != null; i++) {
                    String k = "entry." + i + ".";
                    String to = in.getProperty(k + "to");
                    entries.add(new HistoryEntry(Integer.parseInt(in.getProperty(k + "number")),
                            in.getProperty(k + "version", ""), HistoryEntry.Source.valueOf(in.getProperty(k + "source")),
                            in.getProperty(k + "origin", ""), in.getProperty(k + "sha256"),
                            Isolation.parse(in.getProperty(k + "isolation", "in-process")),
                            Instant.parse(in.getProperty(k + "from")), to == null ? null : Instant.parse(to),
                            to == null ? null : in.getProperty(k + "because", ""),
                            Integer.parseInt(in.getProperty(k + "rollbackOf", "0")), false));
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "endpoint ''{0}'': cannot read its history {1} ({2}); it starts anew",
                        id, file, e.toString());
                entries.clear();
                return;
            }
            HistoryEntry top = entries.isEmpty() ? null : entries.get(0);
            if (top != null && top.serving()) { // the registry did not stop cleanly
                Instant when;
                try {
                    when = Files.getLastModifiedTime(file).toInstant();
                } catch (IOException e) {
                    when = Instant.now();
                }
                entries.set(0, with(top, when, STOPPED, false));
                resumable = top.number();
            }
            prune();
        }

        private HistoryEntry with(HistoryEntry e, Instant to, String because, boolean kept) {
            return new HistoryEntry(e.number(), e.version(), e.source(), e.origin(), e.sha256(), e.isolation(),
                    e.servedFrom(), to, because, e.rollbackOf(), kept);
        }
    }

}
