package io.handlerregistry.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many calls may be inside one loaded version at once ({@code max}), and how many more may wait
 * for a place ({@code maxWaiting}). Calls stuck in a handler keep their places until they return,
 * so a hung version holds at most {@code max} threads; a swapped-in version has places of its own.
 *
 * <p>Exact for the calls that started under it, without a shared counter on the call path (one
 * made 2-thread throughput collapse from 1.9 to 0.9 times one thread's): the {@link RequestTracker}
 * counts calls in stripes chosen by thread; each stripe may hold up to {@link #quota()} calls with
 * no further check, and calls beyond that take one of the {@code max - quota × stripes} extra places
 * counted here. The quota is half an even share, so spread calls rarely touch this counter; a limit
 * below {@code 2 × stripes} has no quota (every call counts here). Never more than {@code max}
 * inside; a call may be refused a little before that when its own stripe is full and the extra
 * places are taken.
 */
final class CallLimit {
    private final AtomicInteger extra = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger onExecutor = new AtomicInteger();
    private volatile int max;
    private volatile int maxWaiting;
    private volatile int quota = Integer.MAX_VALUE;
    private volatile int extraPlaces;

    CallLimit(int max, int maxWaiting) {
        configure(max, maxWaiting);
    }

    /**
     * Changes the limit in place: it counts the calls that start afterwards (those inside keep
     * their places and are not counted against it); waiters get in if it rose.
     *
     * @param max        calls inside at once, 0 for no limit
     * @param maxWaiting calls over it that may wait for a place
     */
    void configure(int max, int maxWaiting) {
        int stripes = RequestTracker.STRIPES;
        int perStripe = max / (2 * stripes);
        this.extraPlaces = max == 0 ? Integer.MAX_VALUE : max - perStripe * stripes;
        this.quota = max == 0 ? Integer.MAX_VALUE : perStripe;
        this.max = max;
        this.maxWaiting = maxWaiting;
        wakeWaiters();
    }

    int max() {
        return max;
    }

    int maxWaiting() {
        return maxWaiting;
    }

    /** Calls one stripe may hold without taking an extra place. */
    int quota() {
        return quota;
    }

    /** Takes an extra place, if one is free. */
    boolean takeExtra() {
        for (int n = extra.get(); n < extraPlaces; n = extra.get()) {
            if (extra.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    void giveBackExtra() {
        extra.decrementAndGet();
    }

    /**
     * Counts one more call handed to a bounded call executor, unless {@code share} are there already
     * (see {@link ExecutorShare}).
     */
    boolean takeExecutorThread(int share) {
        for (int n = onExecutor.get(); n < share; n = onExecutor.get()) {
            if (onExecutor.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** A call handed to the call executor ended (or never ran). */
    void giveBackExecutorThread() {
        onExecutor.decrementAndGet();
    }

    /** Counts one more waiter, unless {@code maxWaiting} wait already. */
    boolean startWaiting() {
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return false;
        }
        return true;
    }

    void stopWaiting() {
        waiting.decrementAndGet();
    }

    /** Wakes the waiters, if any, after a place was given back (the waiters wait on this object). */
    void wakeWaiters() {
        if (waiting.get() > 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }
}
