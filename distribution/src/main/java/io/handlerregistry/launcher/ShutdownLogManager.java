package io.handlerregistry.launcher;

import java.util.logging.LogManager;

/**
 * The container's java.util.logging manager: the same as the JDK's, except that it does not close
 * its handlers when the JVM shuts down. The JDK's manager resets itself in a shutdown hook of its
 * own, which runs beside Felix's, the one that stops the framework at SIGTERM; so what the bundles
 * log while they stop (the HTTP front draining, the registry unloading) was lost. Its handlers write
 * each line as it comes (the console, {@link LogFile}), and the process ends right after.
 */
public final class ShutdownLogManager extends LogManager {
    @Override
    public void reset() {
        if (!shuttingDown()) {
            super.reset();
        }
    }

    private static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true; // no more hooks: the JVM is shutting down
        }
    }
}
