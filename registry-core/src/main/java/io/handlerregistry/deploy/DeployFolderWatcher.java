package io.handlerregistry.deploy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
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
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.engine.DaemonThreads;
import io.handlerregistry.osgi.HandlerBundles;
import io.handlerregistry.osgi.Settings;

/**
 * Watches the deploy folder (see {@link DeployFolder}). A new or changed file is installed as a
 * new bundle beside the one it replaces and started; only then is the previous bundle of that file
 * uninstalled (by {@link HandlerBundles}, once its calls drained). Scans on one thread of its own;
 * does nothing unless a directory is configured ({@link DeployFolderConfiguration}, PID {@value #PID}).
 */
// registers DeployFolder itself, once the first scan is done
@Component(immediate = true, service = {}, configurationPid = DeployFolderWatcher.PID)
@Designate(ocd = DeployFolderConfiguration.class)
public final class DeployFolderWatcher implements DeployFolder {
    static final String PID = "io.handlerregistry.deploy";
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    private static final int READY_AFTER_SCANS = 10;

    private final BundleContext context;
    private final HandlerBundles bundles;
    private final Path directory;
    private final long pollMillis;
    private final ScheduledExecutorService scanner;
    private final FrameworkListener frameworkListener;
    private final Map<Path, Tracked> tracked = new TreeMap<>(); // confined to the scanner thread
    private final AtomicLong installs = new AtomicLong();
    private volatile List<Deployment> snapshot = List.of();
    private volatile ServiceRegistration<DeployFolder> registration;
    private boolean firstScan = true;
    private int scans;

    @Activate
    public DeployFolderWatcher(BundleContext context, DeployFolderConfiguration config, Map<String, Object> properties,
            @Reference HandlerBundles bundles) {
        this.context = context;
        this.bundles = bundles;
        Settings settings = new Settings(PID, properties, context);
        String dir = settings.string("directory", config.directory());
        this.directory = dir.isBlank() ? null : Path.of(dir.strip()).toAbsolutePath();
        this.pollMillis = Math.max(50, settings.number("poll.ms", config.poll_ms()));
        if (directory == null) {
            this.scanner = null;
            this.frameworkListener = null;
            return;
        }
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
    void deactivate() {
        if (scanner != null) {
            context.removeFrameworkListener(frameworkListener);
            scanner.shutdownNow();
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

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public List<Deployment> deployments() {
        return snapshot;
    }

    private void scanQuietly() {
        try {
            scan();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "scanning the deploy folder " + directory + " failed", e);
        }
        // Ready once what the folder held at start is dealt with (or, if files keep changing, after a while).
        if (registration == null && (++scans >= READY_AFTER_SCANS
                || snapshot.stream().noneMatch(d -> d.state() == State.PENDING))) {
            registration = context.registerService(DeployFolder.class, this, null);
        }
    }

    private void scan() {
        Set<Path> present = new HashSet<>();
        try {
            Files.createDirectories(directory);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.jar")) {
                for (Path file : files) {
                    if (!file.getFileName().toString().startsWith(".") && Files.isRegularFile(file)) {
                        present.add(file);
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot read the deploy folder " + directory + ": " + e);
            return;
        }
        for (Path file : present) {
            Tracked t = tracked.computeIfAbsent(file, f -> new Tracked());
            FileKey key = FileKey.of(file);
            if (key == null) {
                continue; // deleted meanwhile
            }
            if (!key.equals(t.seen)) {
                t.seen = key;
                boolean settled = firstScan && System.currentTimeMillis() - key.modified > 2 * pollMillis;
                if (!settled) {
                    t.state = State.PENDING;
                    continue; // act once it did not change for one poll: a copy may be in progress
                }
            }
            if (key.equals(t.done)) {
                if (t.state == State.DEPLOYED && t.bundle.getState() == Bundle.UNINSTALLED) {
                    t.state = State.REPLACED;
                    t.detail = "its bundle " + t.detail + " was uninstalled (replaced by a better version of its"
                            + " endpoint?); remove the file, or copy it again to redeploy";
                    LOG.log(Level.INFO, "{0}: {1}", name(file), t.detail);
                }
                continue;
            }
            deploy(file, t, key);
        }
        for (Path file : new ArrayList<>(tracked.keySet())) {
            if (!present.contains(file)) {
                undeploy(file, tracked.remove(file));
            }
        }
        firstScan = false;
        publish();
    }

    private void deploy(Path file, Tracked t, FileKey key) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return; // deleted or unreadable meanwhile: the next scan tells
        }
        if (!key.equals(FileKey.of(file)) || bytes.length != key.size) {
            t.seen = null; // still changing
            return;
        }
        t.done = key;
        String problem = checkJar(bytes);
        if (problem != null) {
            fail(file, t, problem);
            return;
        }
        Bundle bundle;
        try {
            bundle = bundles.installAndStart("handler-deploy:" + file.getFileName() + "#" + installs.incrementAndGet(),
                    new ByteArrayInputStream(bytes));
        } catch (IllegalStateException stopping) {
            t.done = null; // the framework or this bundle is stopping: try again at the next start
            return;
        } catch (BundleException | RuntimeException e) {
            fail(file, t, messages(e));
            return;
        }
        Bundle previous = t.bundle;
        t.bundle = bundle;
        t.state = State.DEPLOYED;
        t.detail = HandlerBundles.describe(bundle);
        LOG.log(Level.INFO, "{0}: started {1}{2}", name(file), t.detail,
                previous == null ? "" : ", replacing " + HandlerBundles.describe(previous));
        if (previous != null) {
            bundles.uninstall(previous, "its file " + name(file) + " now holds " + t.detail);
        }
    }

    private void undeploy(Path file, Tracked t) {
        if (t.bundle != null && t.bundle.getState() != Bundle.UNINSTALLED) {
            LOG.log(Level.INFO, "{0} was removed: uninstalling {1} once its calls drained", name(file), t.detail);
            bundles.uninstall(t.bundle, "its file " + name(file) + " was removed");
        }
    }

    private void fail(Path file, Tracked t, String why) {
        t.state = State.FAILED;
        t.detail = why;
        LOG.log(Level.WARNING, "{0} was not deployed, what served before serves on: {1} (fix the file and copy"
                + " it again: write a temporary name, then rename)", name(file), why);
    }

    /** Null if the bytes are a complete jar with a bundle manifest, else what is wrong. */
    private static String checkJar(byte[] bytes) {
        try (JarInputStream jar = new JarInputStream(new ByteArrayInputStream(bytes), true)) {
            Manifest manifest = jar.getManifest();
            while (jar.getNextJarEntry() != null) {
                jar.readAllBytes(); // reads every entry: a truncated jar fails here
            }
            if (manifest == null || manifest.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                return "it is not an OSGi bundle (no Bundle-SymbolicName in META-INF/MANIFEST.MF)";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "it is not a complete jar, was it still being copied? (" + e.getMessage() + ")";
        }
    }

    private void publish() {
        List<Deployment> list = new ArrayList<>();
        tracked.forEach((file, t) -> list.add(new Deployment(file.getFileName().toString(),
                t.state, t.state == State.DEPLOYED ? t.bundle.getBundleId() : -1, t.detail)));
        snapshot = List.copyOf(list);
    }

    private String name(Path file) {
        return directory.getFileName() + "/" + file.getFileName();
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

    /** Size, modification time and file identity (inode): what tells a file changed or was replaced. */
    private record FileKey(long size, long modified, Object identity) {
        static FileKey of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileKey(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
            } catch (IOException e) {
                return null; // gone meanwhile
            }
        }
    }

    /** What the watcher knows of one file. */
    private static final class Tracked {
        FileKey seen; // at the last scan
        FileKey done; // last acted on (deployed or failed)
        Bundle bundle; // installed from it
        State state = State.PENDING;
        String detail = "waiting until the file stops changing";
    }
}
