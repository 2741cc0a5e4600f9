package io.handlerregistry.bundle;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

import io.handlerregistry.osgi.BundleHandler;
import io.handlerregistry.spi.Handler;

/**
 * The {@code Bundle-Activator} of handler bundles: a bundle that carries a native handler library
 * names this class and needs no Java code of its own.
 *
 * <p>On start it extracts the library for the running platform to a unique file in the bundle's
 * data area, loads it (checking its ABI version and calling {@code handler_init}) and registers a
 * {@link Handler} service with the properties {@value Handler#ENDPOINT} (the endpoint id),
 * {@value Handler#VERSION} (the bundle version), {@code service.ranking}
 * (from {@value #RANKING_HEADER}, default 0) and {@code handler.library} (the entry loaded). A
 * bundle without a library for the running platform, or with a library the registry refuses,
 * fails to start with a message that names the bundle, the platform and the paths looked at.
 *
 * <p>On stop it unregisters the service, so the registry stops sending new calls at once, then
 * waits for the calls already inside the library (at most {@code stop.timeout.ms} of the registry's
 * configuration, default 30 s) and unloads it. If calls are still
 * inside when the wait ends, the stop goes on, says so in the log, and the library is unloaded
 * when the last of them returns: native code is never unloaded under a running call.
 *
 * <p>Manifest headers:
 * <pre>
 * Bundle-Activator: io.handlerregistry.bundle.NativeHandlerActivator
 * Handler-Endpoint: echo                          (required: the endpoint id)
 * Handler-Library: native/{platform}/{library}    (optional: where the library is; this is the default)
 * Handler-Ranking: 0                              (optional: service.ranking of the handler)
 * Handler-Isolation: process                      (optional: in-process or process, a worker process of its
 *                                                  own; the registry's isolation.endpoints setting beats it,
 *                                                  and without it the registry's isolation setting decides)
 * </pre>
 * {@code {platform}} is JNA's platform folder name ({@code linux-x86-64}, {@code linux-aarch64},
 * {@code darwin-aarch64}, {@code win32-x86-64}, ...) and {@code {library}} the platform's file name
 * for the endpoint ({@code libhandler_echo.so}, {@code handler_echo.dll}, {@code libhandler_echo.dylib}).
 * Import {@code io.handlerregistry.bundle} to make this class visible to the bundle.
 */
public final class NativeHandlerActivator implements BundleActivator {
    /** Manifest header naming the endpoint id the bundle serves. */
    public static final String ENDPOINT_HEADER = BundleHandler.ENDPOINT_HEADER;
    /** Manifest header with the library's path in the bundle; may use {platform} and {library}. */
    public static final String LIBRARY_HEADER = BundleHandler.LIBRARY_HEADER;
    /** Manifest header with the service ranking of the handler. */
    public static final String RANKING_HEADER = BundleHandler.RANKING_HEADER;
    /** Manifest header saying where the library runs: {@code in-process} or {@code process}. */
    public static final String ISOLATION_HEADER = BundleHandler.ISOLATION_HEADER;
    /** Where the library is looked for when the bundle has no {@value #LIBRARY_HEADER} header. */
    public static final String DEFAULT_LIBRARY_PATH = BundleHandler.DEFAULT_LIBRARY_PATH;

    private volatile BundleHandler handler;

    public NativeHandlerActivator() {
    }

    @Override
    public void start(BundleContext context) throws BundleException {
        handler = BundleHandler.start(context);
    }

    @Override
    public void stop(BundleContext context) {
        BundleHandler running = handler;
        handler = null;
        if (running != null) {
            running.stop();
        }
    }
}
