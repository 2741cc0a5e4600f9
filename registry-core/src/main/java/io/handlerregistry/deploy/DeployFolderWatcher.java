package io.handlerregistry.deploy;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.DeployFolder.State;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.engine.DaemonThreads;
import io.handlerregistry.osgi.HandlerBundles;
import io.handlerregistry.osgi.Settings;

/**
 * The registry's own deploy folder ({@link DeployFolderConfiguration}, PID {@value #PID}): scans it on
 * a thread of its own and hands stable files to {@link Deployments}, which holds the rules.
 *
 * <ul>
 * <li>A {@code .jar} (any case) is acted on at the first scan that finds it a complete jar (its end
 * record at its end) not changing while read. Names starting with a dot and other extensions are left
 * alone: copy new files under such a name and rename them into place.</li>
 * <li>A jar that ends before its end record is a copy under way: it waits (pending), and is reported
 * only if it stays so for {@value #INCOMPLETE_POLLS} polls.</li>
 * <li>A folder that is gone (deleted, moved, unmounted) undeploys nothing: one warning, and when it
 * is back, what it holds then is what is deployed. The watcher never creates it.</li>
 * <li>The first scan reconciles with what an earlier run installed from the folder (persistent bundle
 * caches keep it): the bundles of files that are gone drain and go.</li>
 * </ul>
 *
 * <p>Registers the {@link DeployFolder} service once the files the folder held at start are deployed.
 */
@Component(immediate = true, service = {}, configurationPid = DeployFolderWatcher.PID)
@Designate(ocd = DeployFolderConfiguration.class)
public final class DeployFolderWatcher {
    static final String PID = "io.handlerregistry.deploy";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    private static final int READY_AFTER_SCANS = 10;
    private static final int INCOMPLETE_POLLS = 5;
    private static final long STOP_WAIT_SECONDS = 60;

    private final BundleContext context;
    private final Path directory;
    private final long pollMillis;
    private final Deployments deployments;
    private final ScheduledExecutorService scanner;
    private final FrameworkListener frameworkListener;
    // confined to the scanner thread
    private final Map<Path, Seen> seen = new HashMap<>();
    private boolean reconcile = true;
    private boolean away;
    private int scans;
    private volatile ServiceRegistration<DeployFolder> registration;

    @Activate
    public DeployFolderWatcher(BundleContext context, Map<String, Object> properties,
            @Reference HandlerBundles bundles, @Reference HandlerRegistry registry) {
        this.context = context;
        // the configuration as a map, checked by Settings (DS's conversion would fail the component)
        Settings.Values settings = new Settings(PID, context).resolve(properties,
                Map.of("directory", Settings.directory(false)));
        String dir = settings.string("directory");
        this.directory = dir.isBlank() ? null : Path.of(dir).toAbsolutePath();
        this.pollMillis = settings.number("poll.ms");
        if (directory == null) {
            this.deployments = null;
            this.scanner = null;
            this.frameworkListener = null;
            return;
        }
        this.deployments = new Deployments(directory, bundles, registry,
                settings.flag("allow.other.bundles"));
        this.scanner = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("handler-deploy-folder"));
        // Bundles started before the framework reached its start level only activate later: scan once it did.
        AtomicBoolean scheduled = new AtomicBoolean();
        Runnable schedule = () -> {
            if (scheduled.compareAndSet(false, true)) {
                scanner.scheduleWithFixedDelay(this::scanQuietly, 0, pollMillis, TimeUnit.MILLISECONDS);
            }
        };
        FrameworkListener started = event -> {
            if (event.getType() == FrameworkEvent.STARTED) {
                schedule.run();
            }
        };
        context.addFrameworkListener(started);
        if (context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getState() == Bundle.ACTIVE) {
            schedule.run();
        }
        this.frameworkListener = started;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (scanner != null) {
            context.removeFrameworkListener(frameworkListener);
            // a scan under way finishes first (not interrupted in the middle of a deploy), so that the
            // next watcher of the folder (a changed configuration) never works beside this one
            scanner.shutdown();
            if (!scanner.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "the deploy folder {0} was still busy after {1} s: stopping it anyway",
                        directory, STOP_WAIT_SECONDS);
                scanner.shutdownNow();
            }
        }
        ServiceRegistration<DeployFolder> r = registration;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
    }

    private void scanQuietly() {
        try {
            scan();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "scanning the deploy folder " + directory + " failed", e);
        }
        // Ready once what the folder held at start is dealt with (or, if files keep changing, after a while).
        if (registration == null && (++scans >= READY_AFTER_SCANS
                || deployments.deployments().stream().noneMatch(d -> d.state() == State.PENDING))) {
            registration = context.registerService(DeployFolder.class, deployments, null);
        }
    }

    private void scan() {
        Set<Path> present = list();
        if (present == null) {
            return;
        }
        for (Path file : present) {
            look(file);
        }
        for (Path file : new TreeSet<>(seen.keySet())) {
            if (!present.contains(file)) {
                seen.remove(file);
                deployments.undeploy(file);
            }
        }
        if (reconcile) {
            reconcile = false;
            deployments.reconcile(present);
        }
    }

    /** The jars in the folder; null while the folder is gone (then nothing changes). */
    private Set<Path> list() {
        if (!Files.isDirectory(directory)) {
            if (!away) {
                away = true;
                LOG.log(Level.WARNING, "deploy folder {0} is gone (deleted, moved or unmounted?): nothing is"
                        + " undeployed, what it held serves on; when it is back, what it holds then is deployed",
                        directory);
            }
            return null;
        }
        if (away) {
            away = false;
            reconcile = true;
            LOG.log(Level.INFO, "deploy folder {0} is back: deploying what it holds now", directory);
        }
        Set<Path> present = new TreeSet<>();
        Set<Path> ignored = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") || !name.toLowerCase(Locale.ROOT).endsWith(".jar")) {
                    continue; // a copy under way, by convention, or not ours
                }
                if (Files.isDirectory(file)) {
                    deployments.ignore(file, "it is a directory, not a jar");
                    ignored.add(file);
                } else if (!Files.exists(file)) {
                    deployments.ignore(file, "it is a symbolic link to nothing ("
                            + readLink(file) + ")");
                    ignored.add(file);
                } else {
                    present.add(file);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the deploy folder {0}: {1}; nothing changes until it can be read",
                    directory, e.toString());
            return null;
        }
        deployments.ignoredOnly(ignored); // an ignored entry that went is forgotten
        return present;
    }

    /**
     * Deploys a file once it is a complete jar that did not change while it was read; waits while it
     * is an incomplete one (a copy under way).
     */
    private void look(Path file) {
        Key key = Key.of(file);
        if (key == null) {
            return; // gone meanwhile: the next scan tells
        }
        Seen s = seen.computeIfAbsent(file, f -> new Seen());
        if (!key.equals(s.key)) {
            s.key = key;
            s.incompletePolls = 0;
        }
        if (key.equals(s.done)) {
            return;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            return; // deleted or unreadable meanwhile: the next scan tells
        }
        if (!key.equals(Key.of(file)) || content.length != key.size) {
            deployments.pending(file, "waiting until the file stops changing");
            return;
        }
        JarCheck jar = deployments.check(content);
        if (!jar.complete() && ++s.incompletePolls < INCOMPLETE_POLLS) {
            deployments.pending(file, jar.problem() + ": waiting for the rest");
            return;
        }
        s.done = key;
        deployments.deploy(file, content, jar);
    }

    private static String readLink(Path link) {
        try {
            return "to " + Files.readSymbolicLink(link);
        } catch (IOException | UnsupportedOperationException e) {
            return "unreadable";
        }
    }

    /** What the watcher knows of one file. */
    private static final class Seen {
        Key key; // at the last scan
        Key done; // last handed to the deployments
        int incompletePolls;
    }

    /** Size, modification time and file identity (inode): what tells a file changed or was replaced. */
    private record Key(long size, long modified, Object identity) {
        static Key of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Key(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
            } catch (IOException e) {
                return null; // gone meanwhile
            }
        }
    }
}
