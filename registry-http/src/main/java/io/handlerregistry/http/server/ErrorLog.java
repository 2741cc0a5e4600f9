package io.handlerregistry.http.server;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The log lines of error answers, at most one a second for each endpoint and status: an overloaded
 * or failing endpoint must not flood the log (the next line says how many were left out). Each
 * line names the status, the endpoint, the request id and what happened; 5xx are warnings, 4xx (the
 * client's mistakes, which anyone can make by the thousand) debug lines.
 */
final class ErrorLog {
    private static final Logger LOG = System.getLogger("io.handlerregistry.http");
    private static final long INTERVAL_NANOS = 1_000_000_000L;
    private static final int MAX_KEYS = 4096;

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    void log(Problem problem, String method, String path) {
        Level level = problem.status() >= 500 ? Level.WARNING : Level.DEBUG;
        if (!LOG.isLoggable(level)) {
            return;
        }
        String key = problem.status() + " " + problem.endpoint();
        if (windows.size() > MAX_KEYS) {
            windows.clear(); // endpoints that do not exist, by the thousand: forget, do not grow
        }
        long left = windows.computeIfAbsent(key, k -> new Window()).pass(System.nanoTime());
        if (left >= 0) {
            LOG.log(level, "{0} {1} {2}: {3} (request {4}){5}", problem.status(), method, path, problem.detail(),
                    problem.requestId(), left == 0 ? "" : "; " + left + " more like it since the last line not logged");
        }
    }

    /** One key's second: the first error passes, the others are counted. */
    private static final class Window {
        private final AtomicLong start = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong suppressed = new AtomicLong();

        /** The number left out since the last line, if this one is logged; -1 if it is left out. */
        long pass(long now) {
            long begun = start.get();
            if (begun == Long.MIN_VALUE || now - begun >= INTERVAL_NANOS) {
                if (start.compareAndSet(begun, now)) {
                    return suppressed.getAndSet(0);
                }
            }
            suppressed.incrementAndGet();
            return -1;
        }
    }
}
