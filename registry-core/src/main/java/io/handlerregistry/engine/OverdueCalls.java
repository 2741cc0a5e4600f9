package io.handlerregistry.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Which calls are inside a version past their deadline. A thread that calls with a deadline notes
 * the version and the deadline in a slot of its own (two stores, no allocation, no fence; calls
 * without a deadline skip it); counting walks the slots of all threads, so the call path pays
 * nothing for it and a hung call is counted while it hangs, not only once it returned.
 */
final class OverdueCalls {
    private static final ThreadLocal<Slot> SLOT = ThreadLocal.withInitial(OverdueCalls::newSlot);
    private static final ConcurrentLinkedQueue<WeakReference<Slot>> SLOTS = new ConcurrentLinkedQueue<>();

    private OverdueCalls() {
    }

    /** The calling thread's slot. */
    static Slot slot() {
        return SLOT.get();
    }

    /** Calls inside {@code version} now whose deadline has passed. */
    static long count(Object version) {
        long now = nowUnixNanos();
        long count = 0;
        for (Iterator<WeakReference<Slot>> i = SLOTS.iterator(); i.hasNext();) {
            Slot slot = i.next().get();
            if (slot == null) {
                i.remove(); // its thread ended
            } else if (slot.version() == version) {
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
     * What one thread is inside: a version and the call's deadline, or nothing. Written with opaque
     * stores (plain moves on x86): the count is a snapshot for monitoring, not a synchronizer.
     */
    static final class Slot {
        private static final VarHandle VERSION;
        private static final VarHandle DEADLINE;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                VERSION = lookup.findVarHandle(Slot.class, "version", Object.class);
                DEADLINE = lookup.findVarHandle(Slot.class, "deadline", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private Object version;
        private long deadline;

        Object version() {
            return VERSION.getOpaque(this);
        }

        long deadline() {
            return (long) DEADLINE.getOpaque(this);
        }

        /** Notes the call this thread is in now (null, 0 for none). */
        void set(Object calledVersion, long callDeadline) {
            DEADLINE.setOpaque(this, callDeadline);
            VERSION.setOpaque(this, calledVersion);
        }
    }
}
