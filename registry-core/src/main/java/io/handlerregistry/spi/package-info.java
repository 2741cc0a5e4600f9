/**
 * What Java handler authors implement: a {@link io.handlerregistry.spi.Handler} serves the
 * requests of one endpoint. Registered as an OSGi service with the
 * {@value io.handlerregistry.spi.Handler#ENDPOINT} property, it is served by the registry like a
 * native handler library (swapped, drained, counted).
 */
@Version("1.0.0")
@Export
package io.handlerregistry.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
