package io.handlerregistry.admin.server;

import java.util.List;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;

/** Where the admin front reads what it serves; each may be gone or not there yet. */
public interface Sources {
    /** The registry, or null while it is not active. */
    HandlerRegistry registry();

    /** The HTTP front, or null if it is not installed or not serving. */
    HttpNumbers http();

    /**
     * Why an HTTP front should be there and is not (its bundle is installed but its service is gone), or
     * null if all is as it should be (serving, or not installed).
     */
    String httpMissing();

    /** The deploy folders that report their files. */
    List<DeployFolder> deployFolders();

    /** Why a deploy folder that is configured does not report yet (it deploys what it held at start), or null. */
    String deployFolderStarting();

    /** True from the moment the container (or this front) began to stop. */
    boolean stopping();
}
