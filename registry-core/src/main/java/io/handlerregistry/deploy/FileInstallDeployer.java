package io.handlerregistry.deploy;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.osgi.BundleHandler;
import io.handlerregistry.osgi.HandlerBundles;

/**
 * Handler bundles in the folders Apache Felix FileInstall watches (Karaf's {@code deploy/}, a Felix
 * with FileInstall): FileInstall finds the files, and they are deployed by the rules of the
 * registry's own folder ({@link Deployments}) instead of FileInstall's, whose update stops the old
 * bundle before the new one runs (the calls in between fail). Only jars with a
 * {@value BundleHandler#ENDPOINT_HEADER} header are taken; FileInstall keeps every other file.
 *
 * <p>FileInstall forgets an installer's files when it restarts and asks again for those it finds (the
 * same content is the same bundle); the bundles of files deleted meanwhile go when the registry
 * starts (see {@link HandlerBundles}). When the registry alone restarts (a refresh, e.g. by a Karaf
 * feature install), FileInstall asks the new deployer only for files that change: so the deployer
 * keeps the folders it served in its bundle's data area and takes them up again as it starts. Each
 * folder is a {@link DeployFolder} service (for {@code handler:deployments}). Used only where
 * FileInstall is installed: the registry bundle imports its package optionally, and only FileInstall
 * gets this service.
 *
 * <p>FileInstall keeps the installer it found for a file while it installs it: when the registry is
 * refreshed just then, it keeps this deployer after it was replaced, and calls it for the file's next
 * change as if the file had gone (it forgets the file then). Such calls go to the deployer that runs
 * now (see {@link #handOver}).
 *
 * <p>A handler bundle that FileInstall installed itself (its file was there before the registry ran)
 * stays FileInstall's until the file changes after a restart of the framework, or leaves the folder
 * and comes back: this is logged, with what to do.
 */
@Component(service = org.apache.felix.fileinstall.ArtifactInstaller.class)
public final class FileInstallDeployer implements ArtifactInstaller {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final BundleContext context;
    private final Bundle registryBundle; // the same object after a refresh, when this context is no longer valid
    private final HandlerBundles bundles;
    private final HandlerRegistry registry;
    private final Map<Path, Folder> folders = new ConcurrentHashMap<>();
    private final Path remembered; // the folders served, one per line; null where the framework has no storage
    private final Set<Path> served = ConcurrentHashMap.newKeySet(); // what `remembered` holds
    private volatile boolean active = true;

    @Activate
    public FileInstallDeployer(BundleContext context, @Reference HandlerBundles bundles,
            @Reference HandlerRegistry registry) {
        this.context = context;
        this.registryBundle = context.getBundle();
        this.bundles = bundles;
        this.registry = registry;
        File data = context.getDataFile("fileinstall-folders.txt");
        this.remembered = data == null ? null : data.toPath();
        served.addAll(rememberedFolders());
        Map<Path, Bundle> fileInstalls = fileInstallsOwnHandlerBundles();
        takeUpServedFolders(fileInstalls.keySet());
        warnOf(fileInstalls);
    }

    @Deactivate
    void deactivate() {
        active = false;
        for (Folder folder : folders.values()) {
            try {
                folder.registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
    }

    @Override
    public boolean canHandle(File artifact) {
        if (!artifact.getName().toLowerCase(Locale.ROOT).endsWith(".jar") || !artifact.isFile()) {
            return false;
        }
        try (JarFile jar = new JarFile(artifact, false)) {
            return jar.getManifest() != null
                    && jar.getManifest().getMainAttributes().getValue(BundleHandler.ENDPOINT_HEADER) != null;
        } catch (IOException | RuntimeException notAJar) {
            return false; // FileInstall's own handling reports it
        }
    }

    @Override
    public void install(File artifact) throws IOException {
        if (!active) {
            handOver(artifact);
            return;
        }
        deploy(artifact.toPath());
    }

    @Override
    public void update(File artifact) throws IOException {
        if (!active) {
            handOver(artifact);
            return;
        }
        deploy(artifact.toPath());
    }

    @Override
    public void uninstall(File artifact) {
        if (!active) {
            handOver(artifact);
            return;
        }
        Path file = artifact.toPath().toAbsolutePath();
        if (!Files.isDirectory(file.getParent())) {
            LOG.log(Level.WARNING, "deploy folder {0} is gone (deleted, moved or unmounted?): nothing is undeployed",
                    file.getParent());
            return;
        }
        folder(file.getParent()).deployments.undeploy(file);
    }

    /**
     * FileInstall called this deployer after it was replaced (see the class comment): the deployer of
     * the registry running now deploys the file, or undeploys it if it is gone. A file that is there
     * gets its modification time set to now: FileInstall, which forgot the file (it called to undeploy
     * it) or would call this deployer for it again, then finds it as a new file of the running
     * deployer's, which deploys the same content again (nothing changes), and sees its next change or
     * removal. Without a running registry nothing is done: its next start deploys what the folder holds.
     */
    private void handOver(File artifact) {
        Path file = artifact.toPath().toAbsolutePath();
        BundleContext current = registryBundle.getBundleContext(); // null while the registry's bundle is stopped
        ServiceReference<ArtifactInstaller> running = current == null ? null : runningDeployer(current);
        ArtifactInstaller deployer = running == null ? null : current.getService(running);
        if (deployer == null) {
            LOG.log(Level.INFO, "{0}: FileInstall reported it after the registry stopped: what {1} holds is deployed"
                    + " when the registry starts", file.getFileName(), file.getParent());
            return;
        }
        try {
            if (!Files.isRegularFile(file)) {
                deployer.uninstall(artifact);
                return;
            }
            deployer.update(artifact);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (Exception e) { // what the ArtifactInstaller methods declare
            LOG.log(Level.WARNING, "{0}: after a refresh of the registry FileInstall no longer watches it ({1}): copy it"
                    + " into {2} again (write a temporary name, then rename) so that its next change or removal is"
                    + " seen", file.getFileName(), e.toString(), file.getParent());
        } finally {
            current.ungetService(running);
        }
    }

    /** The FileInstall deployer the registry's bundle registered since it started again, if any. */
    private ServiceReference<ArtifactInstaller> runningDeployer(BundleContext current) {
        try {
            for (ServiceReference<ArtifactInstaller> ref : current.getServiceReferences(ArtifactInstaller.class, null)) {
                if (registryBundle.equals(ref.getBundle())) {
                    return ref;
                }
            }
        } catch (InvalidSyntaxException | IllegalStateException stopping) {
            // no filter, so only a stop
        }
        return null;
    }

    private void deploy(Path artifact) throws IOException {
        Path file = artifact.toAbsolutePath();
        Deployments deployments = folder(file.getParent()).deployments;
        byte[] content = Files.readAllBytes(file);
        deployments.deploy(file, content, deployments.check(content));
    }

    /** The deployments of a folder, made on first use (and remembered for the next start). */
    private Folder folder(Path directory) {
        Folder[] made = new Folder[1];
        Folder folder = folders.computeIfAbsent(directory, dir -> {
            Deployments deployments = new Deployments(dir, bundles, registry, false);
            return made[0] = new Folder(deployments, context.registerService(DeployFolder.class, deployments, null));
        });
        if (made[0] != null) {
            remember();
        }
        return folder;
    }

    /**
     * The folders served before this deployer started: their handler bundle files are deployed again now,
     * but those FileInstall installed itself ({@code fileInstalls}).
     */
    private void takeUpServedFolders(Set<Path> fileInstalls) {
        for (Path directory : List.copyOf(served)) {
            if (!Files.isDirectory(directory)) {
                continue; // gone, or not mounted: FileInstall tells when it is back
            }
            List<Path> files = new ArrayList<>();
            try (Stream<Path> listed = Files.list(directory)) {
                listed.filter(f -> canHandle(f.toFile())).sorted().forEach(files::add);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "deploy folder {0} could not be read ({1}): its handler bundles are deployed"
                        + " when FileInstall reports them", directory, e.toString());
                continue;
            }
            folder(directory);
            for (Path file : files) {
                if (!fileInstalls.contains(file.toAbsolutePath())) {
                    try {
                        deploy(file);
                    } catch (IOException e) {
                        LOG.log(Level.WARNING, "{0} could not be read ({1}): it is deployed when FileInstall reports"
                                + " it again", file, e.toString());
                    }
                }
            }
        }
    }

    private List<Path> rememberedFolders() {
        if (remembered == null || !Files.isRegularFile(remembered)) {
            return List.of();
        }
        try {
            return Files.readAllLines(remembered, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                    .map(Path::of).toList();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "the deploy folders served before could not be read from {0} ({1}): each is"
                    + " taken up again when one of its files changes", remembered, e.toString());
            return List.of();
        }
    }

    private synchronized void remember() {
        if (remembered == null || !served.addAll(folders.keySet())) {
            return;
        }
        TreeSet<String> lines = new TreeSet<>();
        served.forEach(d -> lines.add(d.toString()));
        try {
            Path next = remembered.resolveSibling(remembered.getFileName() + ".next");
            Files.write(next, lines, StandardCharsets.UTF_8);
            Files.move(next, remembered, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "the deploy folders served could not be kept in {0} ({1}): after a refresh of the"
                    + " registry, a folder shows again when one of its files changes", remembered, e.toString());
        }
    }

    /**
     * Handler bundles FileInstall installed itself, its file there before the registry ran (Karaf: files
     * in deploy/ before the feature was installed): FileInstall replaces them, stopping the old bundle
     * first, until the registry is asked for the file.
     */
    private void warnOf(Map<Path, Bundle> fileInstalls) {
        fileInstalls.forEach((file, bundle) -> {
            if (Files.isDirectory(file.getParent())) {
                folder(file.getParent()).deployments.ignore(file, HandlerBundles.describe(bundle) + " serves it,"
                        + " installed by FileInstall itself: the folder's rules apply once the registry has the"
                        + " file (move it out and back in, or restart the framework and change it)");
            }
            LOG.log(Level.WARNING, "{0}: {1} was installed by"
                    + " FileInstall itself (the file was there before the registry ran), so FileInstall, not the"
                    + " registry, replaces it: it stops the old version before the new one runs, and calls fail"
                    + " meanwhile. To hand the file to the registry, move it out of {2} and back in (the endpoint is"
                    + " down in between), or restart the framework: the file''s next change is then deployed by the"
                    + " folder''s rules", file.getFileName(), HandlerBundles.describe(bundle), file.getParent());
        });
    }

    /** The handler bundles FileInstall installed itself, by their file. */
    private Map<Path, Bundle> fileInstallsOwnHandlerBundles() {
        Map<Path, Bundle> own = new TreeMap<>();
        for (Bundle bundle : context.getBundles()) {
            HandlerBundles.fileInstalled(bundle).ifPresent(file -> own.put(file, bundle));
        }
        return own;
    }

    /** One folder's deployments and its service. */
    private record Folder(Deployments deployments, ServiceRegistration<DeployFolder> registration) {
    }
}
