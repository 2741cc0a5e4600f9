package io.handlerregistry.deploy;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the deploy folder, PID {@value DeployFolderWatcher#PID}. A key the configuration
 * does not set falls back to the framework property {@code io.handlerregistry.deploy.<key>}.
 */
@ObjectClassDefinition(id = DeployFolderWatcher.PID, name = "Handler deploy folder",
        description = "A folder of handler bundles: a jar dropped in is served, a new version copied over it"
                + " replaces the running one without a failed call, a deleted one drains and goes.")
public @interface DeployFolderConfiguration {
    @AttributeDefinition(name = "Directory", description = "The folder to watch. Empty: no deploy folder.")
    String directory() default "";

    @AttributeDefinition(name = "Poll interval (ms)", description = "Time between two scans; a file is deployed"
            + " once it did not change for one interval.", min = "50")
    long poll_ms() default 1_000;

    @AttributeDefinition(name = "Allow other bundles", description = "Whether jars that are OSGi bundles but not"
            + " handler bundles (no Handler-Endpoint header) are deployed too; refused by default.")
    boolean allow_other_bundles() default false;
}
