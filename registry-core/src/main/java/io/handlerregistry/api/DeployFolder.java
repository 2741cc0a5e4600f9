package io.handlerregistry.api;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A deploy folder: handler bundles dropped into it are served. Every complete handler bundle file is
 * installed and started and stays so while its file is there; each endpoint is served by its best
 * candidate (ranking, then version, then the first file by name) and the others stand by, so that
 * removing the serving file, or a new version copied in, switches without a failed call. A file that
 * is not a complete handler bundle is reported and changes nothing. Registered as a service for each
 * folder: the registry's own (configuration PID {@code io.handlerregistry.deploy}), once the files it
 * held at start are deployed, and each FileInstall folder (such as Karaf's {@code deploy/}) that
 * holds handler bundles.
 */
@ProviderType
public interface DeployFolder {
    /** The directory watched. */
    Path directory();

    /** What the folder holds and what became of each file, sorted by file name. */
    List<Deployment> deployments();

    /**
     * One file of the deploy folder.
     *
     * @param file     the file name
     * @param state    what became of it
     * @param bundleId the bundle installed from it, or -1
     * @param detail   the bundle (name, version) or why it was not deployed
     */
    record Deployment(String file, State state, long bundleId, String detail) {
    }

    /** What became of a file. */
    enum State {
        /** Seen changing (or an incomplete jar still growing); acted on once it is stable. */
        PENDING,
        /** Its bundle is installed and started (a bundle that is not a handler bundle, where allowed). */
        DEPLOYED,
        /** Not deployed (see the detail); retried when the file changes. Whatever served before serves on. */
        FAILED,
        /**
         * Not reported any more: a deployed file's bundle stays installed while its file is there.
         *
         * @deprecated a replaced file is {@link #STANDBY}
         */
        @Deprecated
        REPLACED,
        /** Its handler serves its endpoint. */
        SERVING,
        /** Its handler is loaded and ready; a better candidate serves the endpoint. */
        STANDBY,
        /** Its file was removed or replaced: the calls inside return, then its bundle goes. */
        DRAINING,
        /** Not a file the folder deploys (a directory, a link to nothing); see the detail. */
        IGNORED
    }
}
