/**
 * What the admin front tells about the registry: {@link io.handlerregistry.admin.api.AdminFront}, an
 * OSGi service of the bundle {@code io.handlerregistry.admin} while it serves (the {@code handler:health}
 * and {@code handler:metrics} commands show it).
 */
@Version("1.0.0")
@Export
package io.handlerregistry.admin.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
