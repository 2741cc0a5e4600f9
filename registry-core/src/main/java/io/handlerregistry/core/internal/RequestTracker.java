package io.handlerregistry.core.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts the requests inside one loaded version and tells when it has drained.
 *
 * <p>The count is striped over padded cells (assigned to threads round-robin) so that threads calling the
 * same endpoint do not bounce one cache line. Acquiring increments a cell and then reads the
 * draining flag; draining sets the flag and then sums the cells. Both are volatile accesses, so
 * one of the two always sees the other: a request either sees the flag and backs out, or is
 * counted by the drain. No guard is handed out after draining started and missed by the wait.
 */
final class RequestTracker {
    private static final int PADDING = 16; // longs between cells: 128 bytes, two cache lines
    private static final int STRIPES = stripes();
    private static final AtomicInteger NEXT_CELL = new AtomicInteger();
    // round-robin per thread, so the first STRIPES calling threads never share a cell
    private static final ThreadLocal<Integer> CELL =
            ThreadLocal.withInitial(() -> (NEXT_CELL.getAndIncrement() & (STRIPES - 1)) * PADDING);

    private final AtomicLongArray cells = new AtomicLongArray(STRIPES * PADDING);
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    /** @return the cell to hand back to {@link #release(int)}, or -1 when draining */
    int tryAcquire() {
        int cell = CELL.get();
        cells.getAndIncrement(cell);
        if (draining) {
            release(cell);
            return -1;
        }
        return cell;
    }

    void release(int cell) {
        cells.getAndDecrement(cell);
        if (draining && inFlight() == 0) {
            drained.complete(null);
        }
    }

    /** @return true if this call started the drain */
    boolean startDraining() {
        if (draining) {
            return false;
        }
        draining = true;
        if (inFlight() == 0) {
            drained.complete(null);
        }
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
        for (int i = 0; i < STRIPES; i++) {
            sum += cells.get(i * PADDING);
        }
        return sum;
    }

    private static int stripes() {
        int wanted = Math.min(64, Runtime.getRuntime().availableProcessors() * 2);
        return Integer.highestOneBit(Math.max(2, wanted - 1)) << 1;
    }
}
