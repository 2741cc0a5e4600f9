/**
 * The handler registry API: load native handler libraries per endpoint id, call them with
 * request tracking, swap them immediately or gracefully while they serve, watch and clean up.
 *
 * <p>Start with {@link io.handlerregistry.core.HandlerRegistry}.
 */
@Version("1.0.0")
@Export(substitution = Substitution.CONSUMER)
package io.handlerregistry.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.bundle.Export.Substitution;
import org.osgi.annotation.versioning.Version;
