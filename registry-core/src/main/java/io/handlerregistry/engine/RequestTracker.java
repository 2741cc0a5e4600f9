package io.handlerregistry.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

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
    private static final int SAMPLE_MASK = LatencyRecorder.SAMPLING - 1;
    private static final int COMPLETED_SHIFT = 24;
    private static final long IN_FLIGHT_MASK = (1L << COMPLETED_SHIFT) - 1;
    private static final long ONE_COMPLETED = (1L << COMPLETED_SHIFT) - 1; // in flight -1, completed +1

    // a static VarHandle is compiled into the caller; AtomicLongArray's methods were not inlined
    // into the call path (C2: "callee uses too much stack") and cost a call each
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells = new long[(STRIPES + 2) * PADDING];
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    /**
     * @return the slot to hand back to {@link #release(int)}, or -1 when draining; it says whether
     *         this call is one to time ({@link #sampled(int)}) and in which stripe ({@link #stripe(int)})
     */
    int tryAcquire() {
        // a field read, where a ThreadLocal lookup was a chain of dependent loads; cell i sits at
        // (i + 1) * PADDING: the padding before the first cell keeps it off the line that holds this
        // object's own fields (allocated next to the array, and read on every call)
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
        int cell = (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * PADDING;
        long before = (long) CELLS.getAndAdd(cells, cell, 1L);
        if (draining) {
            CELLS.getAndAdd(cells, cell, -1L);
            checkDrained();
            return -1;
        }
        // every SAMPLING-th call completed in this cell is timed
        return SAMPLE_MASK >= 0 && ((before >>> COMPLETED_SHIFT) & SAMPLE_MASK) == 0 ? cell | SAMPLED : cell;
    }

    /** True if the call of this slot is one to time. */
    static boolean sampled(int slot) {
        return (slot & SAMPLED) != 0;
    }

    /** The stripe (0 to STRIPES - 1) of a slot. */
    static int stripe(int slot) {
        return (slot & ~SAMPLED) / PADDING - 1;
    }

    /** Ends a request taken with {@link #tryAcquire()}. */
    void release(int slot) {
        int cell = slot & ~SAMPLED;
        CELLS.getAndAdd(cells, cell, ONE_COMPLETED);
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
