package io.handlerregistry.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which calls are inside a version past their deadline. A thread that calls with a deadline notes
 * the version (by its number) and the deadline in a slot of its own (two stores, no allocation, no fence; calls
 * without a deadline skip it); counting walks the slots of all threads, so the call path pays
 * nothing for it and a hung call is counted while it hangs, not only once it returned.
 */
final class OverdueCalls {
    private static final ThreadLocal<Slot> SLOT = ThreadLocal.withInitial(OverdueCalls::newSlot);
    private static final ConcurrentLinkedQueue<WeakReference<Slot>> SLOTS = new ConcurrentLinkedQueue<>();
    private static final AtomicLong VERSION_IDS = new AtomicLong();

    private OverdueCalls() {
    }

    /** The calling thread's slot. */
    static Slot slot() {
        return SLOT.get();
    }

    /** A number for a version, unique in this JVM, to note it in slots by. */
    static long newVersionId() {
        return VERSION_IDS.incrementAndGet();
    }

    /** Calls inside the version numbered {@code versionId} now whose deadline has passed. */
    static long count(long versionId) {
        long now = nowUnixNanos();
        long count = 0;
        for (Iterator<WeakReference<Slot>> i = SLOTS.iterator(); i.hasNext();) {
            Slot slot = i.next().get();
            if (slot == null) {
                i.remove(); // its thread ended
            } else if (slot.versionId() == versionId) {
                long deadline = slot.deadline();
                if (deadline != 0 && deadline < now) {
                    count++;
                }
            }
        }
        return count;
    }

    static long nowUnixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static Slot newSlot() {
        Slot slot = new Slot();
        SLOTS.add(new WeakReference<>(slot));
        return slot;
    }

    /**
     * What one thread is inside: a version's number and the call's deadline, or 0s. Written with
     * opaque stores (plain moves on x86): the count is a snapshot for monitoring, not a synchronizer.
     * The two values sit in the middle of an array of their own, two cache lines from either end:
     * slots of threads calling at once are written on every call, and a collector may move them
     * next to each other (unpadded, 2 threads calling with deadlines made 0.7 to 1.1 times one
     * thread's calls per second).
     */
    static final class Slot {
        private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
        private static final int VERSION = 16;
        private static final int DEADLINE = VERSION + 1;

        private final long[] cells = new long[DEADLINE + 1 + 16];

        long versionId() {
            return (long) CELLS.getOpaque(cells, VERSION);
        }

        long deadline() {
            return (long) CELLS.getOpaque(cells, DEADLINE);
        }

        /** Notes the call this thread is in now (0, 0 for none). */
        void set(long calledVersionId, long callDeadline) {
            CELLS.setOpaque(cells, DEADLINE, callDeadline);
            CELLS.setOpaque(cells, VERSION, calledVersionId);
        }
    }
}
