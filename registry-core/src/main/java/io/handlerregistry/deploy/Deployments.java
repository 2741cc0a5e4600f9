package io.handlerregistry.deploy;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.engine.CallCount;
import io.handlerregistry.osgi.HandlerBundles;

/**
 * What one deploy folder holds and what became of each file, whoever watches it (the registry's own
 * watcher, or FileInstall). The rules:
 *
 * <ul>
 * <li>Every complete handler bundle file is installed and started, and stays so while its file is
 * there: the registry serves each endpoint with its best candidate, the others stand by, and when
 * the serving file goes the next one serves at once.</li>
 * <li>A file whose content changes gets a new bundle beside the old one; the old one drains and goes.
 * The same content again is the same bundle (see {@link HandlerBundles}).</li>
 * <li>A file that goes takes its bundle with it, once the calls inside returned; the folder does not
 * wait for that.</li>
 * <li>A file that is broken, or not a handler bundle, is reported and changes nothing: whatever served
 * its endpoint serves on.</li>
 * </ul>
 *
 * <p>Thread safety: the changes come from one thread (the watcher's), the views from any.
 */
final class Deployments implements DeployFolder {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final Path directory;
    private final HandlerBundles bundles;
    private final HandlerRegistry registry;
    private final boolean anyBundle;
    private final Map<Path, Entry> entries = new TreeMap<>(); // guarded by this

    Deployments(Path directory, HandlerBundles bundles, HandlerRegistry registry, boolean anyBundle) {
        this.directory = directory.toAbsolutePath();
        this.bundles = bundles;
        this.registry = registry;
        this.anyBundle = anyBundle;
    }

    @Override
    public Path directory() {
        return directory;
    }

    /** What a file's content is, by this folder's rules. */
    JarCheck check(byte[] content) {
        return JarCheck.of(content, anyBundle);
    }

    /** Deploys a file that stopped changing (its content, checked), unless it is deployed already. */
    synchronized void deploy(Path file, byte[] content, JarCheck jar) {
        if (!jar.ok()) {
            fail(file, jar, jar.problem());
            return;
        }
        Entry entry = entries.computeIfAbsent(file, f -> new Entry());
        Bundle bundle;
        try {
            bundle = bundles.installAndStart(file, content);
        } catch (IllegalStateException stopping) {
            return; // the framework or the registry is stopping: the next start deploys it
        } catch (BundleException | RuntimeException e) {
            fail(file, jar, messages(e));
            return;
        }
        List<Bundle> older = bundles.deployedFrom(file);
        older.remove(bundle);
        boolean unchanged = entry.state == State.DEPLOYED && bundle.equals(entry.bundle);
        entry.deployed(bundle, jar.endpoint());
        if (!unchanged) {
            LOG.log(Level.INFO, "{0}: started {1}: it {2}{3}", name(file), HandlerBundles.describe(bundle),
                    entry.doing(), older.isEmpty() ? "" : "; the one it replaces, " + describe(older) + ", drains and goes");
        }
        for (Bundle old : older) {
            bundles.uninstall(old, "its file " + name(file) + " now holds " + HandlerBundles.describe(bundle));
        }
    }

    /** A file that changes, or waits to: nothing is done with it yet. */
    synchronized void pending(Path file, String why) {
        entries.computeIfAbsent(file, f -> new Entry()).set(State.PENDING, why);
    }

    /** A file the folder does not deploy, and why (a directory, a link to nothing). */
    synchronized void ignore(Path file, String why) {
        Entry entry = entries.computeIfAbsent(file, f -> new Entry());
        if (entry.state != State.IGNORED) {
            LOG.log(Level.INFO, "{0} is ignored: {1}", name(file), why);
        }
        entry.set(State.IGNORED, why);
    }

    /**
     * Forgets the ignored entries that are no longer there to ignore (a link to nothing or a directory
     * that was removed, or a link whose target came: then it is a candidate); {@code ignored}: those
     * ignored in this scan.
     */
    synchronized void ignoredOnly(Set<Path> ignored) {
        entries.entrySet().removeIf(e -> e.getValue().state == State.IGNORED && e.getValue().bundle == null
                && !ignored.contains(e.getKey()));
    }

    /** A file that is gone: its bundles drain and go; the entry stays in view while they drain. */
    synchronized void undeploy(Path file) {
        Entry entry = entries.get(file);
        List<Bundle> installed = bundles.deployedFrom(file);
        if (entry == null && installed.isEmpty()) {
            return;
        }
        if (entry == null || entry.state != State.DRAINING) {
            LOG.log(Level.INFO, "{0} was removed{1}", name(file), installed.isEmpty() ? ""
                    : ": " + describe(installed) + " drains and goes");
        }
        for (Bundle bundle : installed) {
            bundles.uninstall(bundle, "its file " + name(file) + " was removed");
        }
        if (installed.isEmpty()) {
            entries.remove(file);
        } else {
            entries.computeIfAbsent(file, f -> new Entry()).removed(installed.get(installed.size() - 1));
        }
    }

    /**
     * Makes what is installed match the folder after it was out of sight (the framework was down, or
     * the folder was away): the bundles of files that are gone drain and go.
     */
    synchronized void reconcile(Set<Path> present) {
        for (Path file : bundles.deployedFilesIn(directory)) {
            if (!present.contains(file)) {
                LOG.log(Level.INFO, "{0} is no longer there", name(file));
                undeploy(file);
            }
        }
    }

    /** A file that was looked at and not deployed. */
    private void fail(Path file, JarCheck jar, String why) {
        Entry entry = entries.computeIfAbsent(file, f -> new Entry());
        String serving = jar.endpoint() == null ? "" : "; " + servedNow(jar.endpoint());
        entry.set(State.FAILED, why + serving);
        LOG.log(Level.WARNING, "{0} was not deployed: {1}{2}. Fix it and copy it again (write a temporary name,"
                + " then rename)", name(file), why, serving);
    }

    private String servedNow(String endpoint) {
        return registry.handler(endpoint).map(LoadedHandler::source)
                .map(source -> "endpoint '" + endpoint + "' is still served by " + source)
                .orElse("endpoint '" + endpoint + "' is not served");
    }

    /**
     * "endpoint 'x' is pinned to #6 (1.0.0) by a rollback ..." while a rollback serves it (see
     * HandlerRegistry#rollback): its files stand by until a new one for it arrives; else null.
     */
    private String pinnedBy(String endpoint) {
        List<HistoryEntry> history = registry.history(endpoint);
        if (history.isEmpty() || !history.get(0).serving() || !history.get(0).isRollback()) {
            return null;
        }
        HistoryEntry pin = history.get(0);
        return "endpoint '" + endpoint + "' is pinned to " + pin.label() + " by a rollback to #" + pin.rollbackOf()
                + " until a new file for it arrives (handler:history " + endpoint + ")";
    }

    private String servedBy(String endpoint) {
        return registry.handler(endpoint).map(h -> " (" + h.source() + " serves)")
                .orElse(": nothing serves it now; if it was unloaded (handler:unload), move the file out of the"
                        + " folder and back, or copy in a new version, to serve it again");
    }

    @Override
    public synchronized List<Deployment> deployments() {
        List<Deployment> list = new ArrayList<>();
        for (var it = entries.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            Entry entry = e.getValue();
            if (entry.state == State.DRAINING && bundles.role(entry.bundle) == HandlerBundles.Role.UNINSTALLED) {
                it.remove(); // its file is gone, and now its bundle too
                continue;
            }
            list.add(entry.view(e.getKey().getFileName().toString()));
        }
        return List.copyOf(list);
    }

    private String name(Path file) {
        return directory.getFileName() + "/" + file.getFileName();
    }

    private static String describe(List<Bundle> list) {
        List<String> names = new ArrayList<>();
        list.forEach(b -> names.add(HandlerBundles.describe(b)));
        return String.join(", ", names);
    }

    /** The message of an exception and of its causes, without repeats, on one line. */
    static String messages(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && out.indexOf(m) < 0) {
                out.append(out.length() == 0 ? "" : ": ").append(m);
            }
        }
        return out.toString().replace('\n', ' ');
    }

    /** What the folder knows of one file. */
    private final class Entry {
        State state = State.PENDING;
        String detail = "waiting until the file stops changing";
        Bundle bundle; // installed from it: deployed, or draining since the file is gone
        String endpoint;

        void set(State newState, String why) {
            state = newState;
            detail = why;
        }

        void deployed(Bundle installed, String endpointId) {
            state = State.DEPLOYED;
            bundle = installed;
            endpoint = endpointId;
            detail = null;
        }

        void removed(Bundle draining) {
            state = State.DRAINING;
            bundle = draining;
        }

        /** What a deployed handler bundle does, after its name: "serves endpoint 'echo'". */
        String doing() {
            if (endpoint == null) {
                return "is active";
            }
            if (bundles.role(bundle) == HandlerBundles.Role.SERVING) {
                return "serves endpoint '" + endpoint + "'";
            }
            String pin = pinnedBy(endpoint);
            return pin != null ? "stands by: " + pin : "stands by for endpoint '" + endpoint + "'" + servedBy(endpoint);
        }

        /** The live view: a deployed file's role is what its bundle does now. */
        Deployment view(String file) {
            if (state == State.DRAINING) {
                return new Deployment(file, State.DRAINING, bundle.getBundleId(), HandlerBundles.describe(bundle)
                        + ": its file was removed; " + CallCount.of(bundles.callsInside(bundle)) + " left");
            }
            if (state != State.DEPLOYED) {
                return new Deployment(file, state, bundle == null ? -1 : bundle.getBundleId(),
                        bundle == null ? detail : detail + " (the earlier " + HandlerBundles.describe(bundle)
                                + " stays)");
            }
            String name = HandlerBundles.describe(bundle);
            if (endpoint == null && bundle.getState() == Bundle.ACTIVE) { // allow.other.bundles
                return new Deployment(file, State.DEPLOYED, bundle.getBundleId(), name + " is active");
            }
            switch (bundles.role(bundle)) {
                case SERVING:
                    return new Deployment(file, State.SERVING, bundle.getBundleId(), name + " " + doing());
                case STANDBY:
                    return new Deployment(file, State.STANDBY, bundle.getBundleId(), name + " " + doing());
                case DRAINING:
                    return new Deployment(file, State.DRAINING, bundle.getBundleId(), name + " drains: "
                            + CallCount.of(bundles.callsInside(bundle)) + " left");
                case STOPPED:
                    return new Deployment(file, State.FAILED, bundle.getBundleId(), name + " was stopped (by an"
                            + " operator?): start it again, or copy the file again to redeploy");
                default:
                    return new Deployment(file, State.FAILED, -1, name + " was uninstalled by someone else: copy"
                            + " the file again to redeploy it");
            }
        }
    }
}
