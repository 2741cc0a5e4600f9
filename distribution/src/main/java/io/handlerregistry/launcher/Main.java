package io.handlerregistry.launcher;

/**
 * Starts Apache Felix as its own launcher does, with no thread context class loader. JLine (the Gogo
 * console) finds its terminal providers through the context class loader when there is one, else
 * through its own bundle; the launcher's class path holds none of them, so under Felix's own
 * launcher JLine fell back to a "dumb" terminal: no completion, no history, and Ctrl-C ended the
 * container instead of the running command. Framework threads inherit the context class loader of
 * the thread that creates them, so clearing it here reaches the console's thread.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Thread.currentThread().setContextClassLoader(null);
        org.apache.felix.main.Main.main(args);
    }
}
