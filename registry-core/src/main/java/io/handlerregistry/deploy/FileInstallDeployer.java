package io.handlerregistry.deploy;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarFile;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.BundleContext;
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
 * starts (see {@link HandlerBundles}). Each folder is a {@link DeployFolder} service (for
 * {@code handler:deployments}). Used only where FileInstall is installed: the registry bundle imports
 * its package optionally, and only FileInstall gets this service.
 */
@Component(service = org.apache.felix.fileinstall.ArtifactInstaller.class)
public final class FileInstallDeployer implements ArtifactInstaller {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());

    private final BundleContext context;
    private final HandlerBundles bundles;
    private final HandlerRegistry registry;
    private final Map<Path, Folder> folders = new ConcurrentHashMap<>();

    @Activate
    public FileInstallDeployer(BundleContext context, @Reference HandlerBundles bundles,
            @Reference HandlerRegistry registry) {
        this.context = context;
        this.bundles = bundles;
        this.registry = registry;
    }

    @Deactivate
    void deactivate() {
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
        deploy(artifact.toPath());
    }

    @Override
    public void update(File artifact) throws IOException {
        deploy(artifact.toPath());
    }

    @Override
    public void uninstall(File artifact) {
        Path file = artifact.toPath().toAbsolutePath();
        if (!Files.isDirectory(file.getParent())) {
            LOG.log(Level.WARNING, "deploy folder {0} is gone (deleted, moved or unmounted?): nothing is undeployed",
                    file.getParent());
            return;
        }
        folder(file.getParent()).deployments.undeploy(file);
    }

    private void deploy(Path artifact) throws IOException {
        Path file = artifact.toAbsolutePath();
        Deployments deployments = folder(file.getParent()).deployments;
        byte[] content = Files.readAllBytes(file);
        deployments.deploy(file, content, deployments.check(content));
    }

    /** The deployments of a folder, made on first use. */
    private Folder folder(Path directory) {
        return folders.computeIfAbsent(directory, dir -> {
            Deployments deployments = new Deployments(dir, bundles, registry, false);
            return new Folder(deployments, context.registerService(DeployFolder.class, deployments, null));
        });
    }

    /** One folder's deployments and its service. */
    private record Folder(Deployments deployments, ServiceRegistration<DeployFolder> registration) {
    }
}
