package io.handlerregistry.http.server;

import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Answers requests whose deadline passed while their handler is still inside: each request thread
 * notes its exchange and deadline in a slot of its own (two stores, no lock, no timer per request),
 * and one thread sweeps the slots every {@value #SWEEP_MS} ms. The client gets its 504 at most that
 * much after the deadline; the call itself goes on in native code and keeps its thread until it
 * returns (the front's share per endpoint bounds how many).
 */
final class Watchdog implements AutoCloseable {
    static final long SWEEP_MS = 20;

    private final ThreadLocal<Slot> slots = ThreadLocal.withInitial(this::newSlot);
    private final ConcurrentLinkedQueue<WeakReference<Slot>> all = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "handler-http-watchdog");
        t.setDaemon(true);
        return t;
    });

    Watchdog() {
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    /** Watches the calling thread's exchange until {@link Slot#clear()}. */
    Slot watch(Exchange exchange, long deadlineNanos) {
        Slot slot = slots.get();
        slot.deadline = deadlineNanos;
        slot.exchange = exchange; // last: the sweeper reads it first
        return slot;
    }

    private Slot newSlot() {
        Slot slot = new Slot();
        all.add(new WeakReference<>(slot));
        return slot;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<WeakReference<Slot>> i = all.iterator(); i.hasNext();) {
            Slot slot = i.next().get();
            if (slot == null) {
                i.remove(); // its thread ended
                continue;
            }
            Exchange exchange = slot.exchange;
            if (exchange != null && now - slot.deadline >= 0) {
                slot.exchange = null;
                exchange.timedOut();
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }

    /** What one request thread is answering now, and until when. */
    static final class Slot {
        private volatile Exchange exchange;
        private long deadline;

        void clear() {
            exchange = null;
        }
    }
}
