package io.handlerregistry.api;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The deploy folder of a container: handler bundles dropped into it are installed and started,
 * a new version copied over a file (or beside it) replaces the old one without a failed call,
 * and a deleted file's bundle is uninstalled once drained. Registered as a service when a deploy
 * directory is configured (configuration PID {@code io.handlerregistry.deploy}), once the files it
 * held at start are deployed (or failed).
 *
 * <p>A file is acted on once it stopped changing for one poll; a file that is not a complete jar,
 * not a bundle, or whose bundle fails to start is reported (one log line, and here) and left
 * alone until it changes again, while the version that was serving keeps serving.
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
        /** Seen changing; acted on once it is stable. */
        PENDING,
        /** Its bundle is installed and started. */
        DEPLOYED,
        /** Not deployed (see the detail); retried when the file changes. */
        FAILED,
        /** Its bundle was uninstalled by someone else, e.g. replaced by a newer version from another file. */
        REPLACED
    }
}
