/**
 * The handler registry API: load native handler libraries per endpoint id, call them with
 * request tracking, swap them immediately or gracefully while they serve, watch and clean up.
 *
 * <p>Start with {@link io.handlerregistry.api.HandlerRegistry}, an OSGi service (or, outside OSGi,
 * {@code io.handlerregistry.engine.NativeHandlerRegistry}). The interfaces here are implemented by
 * the registry only ({@code @ProviderType}): code that calls them imports this package with a
 * consumer range, the registry bundle with a provider range.
 */
@Version("1.3.0")
@Export
package io.handlerregistry.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
