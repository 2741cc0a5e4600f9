/**
 * Support for handler bundles: OSGi bundles that carry a native handler library and need no Java
 * code of their own. See {@link io.handlerregistry.bundle.NativeHandlerActivator}.
 */
@Version("1.1.0")
@Export
package io.handlerregistry.bundle;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
