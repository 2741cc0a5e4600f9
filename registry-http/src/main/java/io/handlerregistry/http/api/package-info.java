/**
 * What the HTTP front tells about itself: {@link io.handlerregistry.http.api.HttpFront}, an OSGi
 * service of the bundle {@code io.handlerregistry.http} while it serves (the {@code handler:http}
 * command shows it).
 */
@Version("1.2.0")
@Export
package io.handlerregistry.http.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
