package io.handlerregistry.launcher;

import java.nio.file.Path;
import java.util.logging.Handler;
import java.util.logging.Logger;

/**
 * Starts Apache Felix as its own launcher does, with no thread context class loader. JLine (the Gogo
 * console) finds its terminal providers through the context class loader when there is one, else
 * through its own bundle; the launcher's class path holds none of them, so under Felix's own
 * launcher JLine fell back to a "dumb" terminal: no completion, no history, and Ctrl-C ended the
 * container instead of the running command. Framework threads inherit the context class loader of
 * the thread that creates them, so clearing it here reaches the console's thread.
 *
 * <p>Before, it sets up java.util.logging (conf/logging.properties) and tells the framework where
 * the {@link LogFile} writes, in the property {@value #LOG_FILE_PROPERTY} (for {@code handler:log}).
 */
public final class Main {
    /** The log file of the container, as a framework (system) property; unset when there is none. */
    static final String LOG_FILE_PROPERTY = "io.handlerregistry.log.file";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        for (Handler handler : Logger.getLogger("").getHandlers()) { // the root's handlers are made now
            Path file = handler instanceof LogFile ? ((LogFile) handler).file() : null;
            if (file != null) {
                System.setProperty(LOG_FILE_PROPERTY, file.toString());
            }
        }
        Thread.currentThread().setContextClassLoader(null);
        org.apache.felix.main.Main.main(args);
    }
}
