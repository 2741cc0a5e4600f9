package io.handlerregistry.engine;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names the registry's own threads (so they show in thread dumps) and never keeps the JVM alive. */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** Threads named prefix-1, prefix-2, ... */
    public static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
