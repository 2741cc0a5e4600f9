package io.handlerregistry.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Counts the requests inside one loaded version, and those it completed, and tells when it has
 * drained.
 *
 * <p>The counts are striped over padded cells, chosen by thread id, so that threads calling the
 * same endpoint do not bounce one cache line (ids are handed out in sequence, so threads started
 * together get cells of their own; two threads sharing a cell only share its line). A cell packs
 * the requests in flight (low {@value #COMPLETED_SHIFT} bits) and the completed ones (the bits
 * above): finishing a call is one atomic add. Acquiring increments a cell and then reads the
 * draining flag; draining sets the flag and then sums the cells. Both are volatile accesses, so
 * one of the two always sees the other: a request either sees the flag and backs out, or is
 * counted by the drain. No guard is handed out after draining started and missed by the wait.
 */
final class RequestTracker {
    private static final int PADDING = 16; // longs between cells: 128 bytes, two cache lines
    /** How many cells the counts are striped over. */
    static final int STRIPES = stripes();
    /** Set in a slot whose call is one to time (see {@link LatencyRecorder}). */
    private static final int SAMPLED = 1 << 30;
    /** Set in a slot whose call took one of the limit's extra places. */
    private static final int EXTRA = 1 << 29;
    private static final int CELL = EXTRA - 1;
    /** What {@link #tryAcquire(boolean)} returns when the version is draining. */
    static final int DRAINING = -1;
    /** What {@link #tryAcquire(boolean)} returns when the limit has no place. */
    static final int FULL = -2;
    /** {@link #acquireWaiting(long)}: calls do not wait (max waiting 0) or as many wait already. */
    static final int NO_ROOM_TO_WAIT = -3;
    /** {@link #acquireWaiting(long)}: the call has no deadline to wait until. */
    static final int NO_DEADLINE = -4;
    /** {@link #acquireWaiting(long)}: the deadline passed while the call waited. */
    static final int DEADLINE_PASSED = -5;
    /** {@link #acquireWaiting(long)}: the caller was interrupted while it waited. */
    static final int INTERRUPTED = -6;
    private static final int SAMPLE_MASK = LatencyRecorder.SAMPLING - 1;
    private static final int COMPLETED_SHIFT = 24;
    private static final long IN_FLIGHT_MASK = (1L << COMPLETED_SHIFT) - 1;
    private static final long ONE_COMPLETED = (1L << COMPLETED_SHIFT) - 1; // in flight -1, completed +1

    // a static VarHandle is compiled into the caller; AtomicLongArray's methods were not inlined
    // into the call path (C2: "callee uses too much stack") and cost a call each
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells = new long[(STRIPES + 2) * PADDING];
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final CallLimit limit; // null: none
    private volatile boolean draining;

    /** @param limit the calls this version may have inside, null for no limit */
    RequestTracker(CallLimit limit) {
        this.limit = limit;
    }

    /**
     * @param limited whether the call limit applies (request guards are not limited)
     * @return the slot to hand back to {@link #release(int)}, or {@link #DRAINING}, or {@link #FULL};
     *         a slot says whether this call is one to time ({@link #sampled(int)}) and in which
     *         stripe ({@link #stripe(int)})
     */
    int tryAcquire(boolean limited) {
        // a field read, where a ThreadLocal lookup was a chain of dependent loads; cell i sits at
        // (i + 1) * PADDING: the padding before the first cell keeps it off the line that holds this
        // object's own fields (allocated next to the array, and read on every call)
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
        int cell = (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * PADDING;
        long before = (long) CELLS.getAndAdd(cells, cell, 1L);
        if (draining) {
            CELLS.getAndAdd(cells, cell, -1L);
            checkDrained();
            return DRAINING;
        }
        int extra = 0;
        if (limited && limit != null && (before & IN_FLIGHT_MASK) >= limit.quota()) {
            if (!limit.takeExtra()) {
                CELLS.getAndAdd(cells, cell, -1L);
                if (draining) {
                    checkDrained();
                }
                return FULL;
            }
            extra = EXTRA;
        }
        // every SAMPLING-th call completed in this cell is timed
        return (SAMPLE_MASK >= 0 && ((before >>> COMPLETED_SHIFT) & SAMPLE_MASK) == 0 ? cell | SAMPLED : cell)
                | extra;
    }

    /**
     * Waits for a place after {@link #tryAcquire(boolean)} found none, if the limit lets calls wait
     * and the call has a deadline, until a place frees or the deadline passes.
     *
     * @param deadlineUnixNanos the call's deadline, 0 for none
     * @return a slot, {@link #DRAINING}, or why the call got no place (a negative code)
     */
    int acquireWaiting(long deadlineUnixNanos) {
        if (limit.maxWaiting() == 0) {
            return NO_ROOM_TO_WAIT;
        }
        if (deadlineUnixNanos == 0) {
            return NO_DEADLINE;
        }
        if (!limit.startWaiting()) {
            return NO_ROOM_TO_WAIT;
        }
        try {
            synchronized (limit) { // a release wakes the waiters after it gave its place back
                for (;;) {
                    int slot = tryAcquire(true);
                    if (slot != FULL) {
                        return slot;
                    }
                    long left = deadlineUnixNanos - OverdueCalls.nowUnixNanos();
                    if (left <= 0) {
                        return DEADLINE_PASSED;
                    }
                    TimeUnit.NANOSECONDS.timedWait(limit, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return INTERRUPTED;
        } finally {
            limit.stopWaiting();
        }
    }

    /** True if the call of this slot is one to time. */
    static boolean sampled(int slot) {
        return (slot & SAMPLED) != 0;
    }

    /** The stripe (0 to STRIPES - 1) of a slot. */
    static int stripe(int slot) {
        return (slot & CELL) / PADDING - 1;
    }

    /** Ends a request taken with {@link #tryAcquire(boolean)}. */
    void release(int slot) {
        CELLS.getAndAdd(cells, slot & CELL, ONE_COMPLETED);
        if (limit != null) {
            if ((slot & EXTRA) != 0) {
                limit.giveBackExtra();
            }
            limit.wakeWaiters();
        }
        if (draining) {
            checkDrained();
        }
    }

    /** @return true if this call started the drain */
    boolean startDraining() {
        if (draining) {
            return false;
        }
        draining = true;
        checkDrained();
        return true;
    }

    boolean isDraining() {
        return draining;
    }

    boolean isDrained() {
        return drained.isDone();
    }

    /** Completes once draining started and no request is inside. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    long inFlight() {
        long sum = 0;
        for (int i = 1; i <= STRIPES; i++) {
            sum += (long) CELLS.getVolatile(cells, i * PADDING) & IN_FLIGHT_MASK;
        }
        return sum;
    }

    long completed() {
        long sum = 0;
        for (int i = 1; i <= STRIPES; i++) {
            sum += (long) CELLS.getVolatile(cells, i * PADDING) >>> COMPLETED_SHIFT;
        }
        return sum;
    }

    private void checkDrained() {
        if (inFlight() == 0) {
            drained.complete(null);
        }
    }

    private static int stripes() {
        int wanted = Math.max(16, Math.min(64, Runtime.getRuntime().availableProcessors() * 4));
        return Integer.highestOneBit(wanted - 1) << 1;
    }
}
