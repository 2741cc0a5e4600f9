package io.handlerregistry.engine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import com.sun.jna.Pointer;

import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;

/**
 * The shared memory between the registry and one worker process: a header (the worker's start-up
 * outcome) and one slot per concurrent call (its state word, a request area and a response area).
 * The layout is handler_worker.c's. A call takes a slot, writes the request, sets the slot's state to
 * REQUEST and waits until the worker set RESPONSE; each side spins briefly, then sleeps on a futex
 * after saying so, and the other side wakes it only then. The worker's threads sleep on one doorbell:
 * a call rings it when no worker thread is awake, or when its request was not taken soon (the thread
 * that polls is inside a slow call).
 *
 * <p>The mapping is unmapped explicitly, once the worker is gone and no call holds a slot: every
 * access to it happens while holding a slot or a pin (see {@link #unpin()}), so the registry never
 * touches memory that is no longer mapped.
 */
final class WorkerChannel {
    static final int MAGIC = 0x32575248; // "HRW2"
    static final int HEADER_SIZE = 4096;
    static final int H_MAGIC = 0;
    static final int H_SLOTS = 4;
    static final int H_SLOT_SIZE = 8;
    static final int H_REQUEST_AREA = 16;
    static final int H_STATE = 24;
    static final int H_REASON = 28;
    static final int H_DETAIL_LEN = 32;
    static final int H_PID = 36;
    static final int H_INIT_CODE = 40;
    static final int H_ABI = 44;
    static final int H_DETAIL = 64;
    private static final int H_AWAKE = 4032; // worker threads not asleep on the doorbell
    private static final int H_DOORBELL = 4036;
    static final int STARTING = 0;
    static final int READY = 1;
    static final int REFUSED = 2;

    private static final int S_STATE = 0;
    private static final int S_CALLER_WAITS = 8;
    private static final int S_TAKEN = 64; // a line of its own: the worker's, read here only when a call waits long
    private static final int S_DATA = 128;
    static final int IDLE = 0;
    static final int REQUEST = 1;
    static final int RESPONSE = 2;
    static final int DEAD = 3;
    /** {@link #await} found the deadline passed. */
    static final int TIMED_OUT = -1;

    private static final int Q_ID = 0;
    private static final int Q_DEADLINE = 8;
    private static final int Q_METHOD = 16;
    private static final int Q_PATH = 20;
    private static final int Q_QUERY = 24;
    private static final int Q_HEADERS = 28;
    private static final int Q_BODY = 32;
    private static final int Q_TABLE = 40;

    static final int P_OUTCOME = 0;
    static final int P_STATUS = 4;
    static final int P_HEADERS = 8;
    static final int P_MESSAGE = 12;
    static final int P_BODY = 16;
    static final int P_TABLE = 24;
    static final int OK = 0;
    static final int FAILED = 1;
    static final int BROKEN = 2;
    static final int TOO_LARGE = 3;

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    /**
     * How long a caller spins (then yields) before it sleeps: a call answered sooner costs no system
     * call. 50 µs kept 2 callers on 2 cores over 200,000 calls/s here, where 20 µs did not always.
     */
    static final long SPIN_NANOS = Long.getLong("io.handlerregistry.process.spin.ns", 50_000);
    /**
     * A request not taken by a worker thread within this long has its caller ring the doorbell: the
     * thread that polls the slots is inside a slow call, and a sleeping one takes over.
     */
    private static final long TAKE_NANOS = TimeUnit.MICROSECONDS.toNanos(10);
    /** A sleeping caller looks at whether the worker died at least this often (a lost wake-up costs this). */
    private static final long SLEEP_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int FREE = 0;
    private static final int HELD = 1;
    private static final int RETIRED = 2;

    private final Path file;
    private final long address;
    private final long size;
    private final ByteBuffer memory;
    private final int slots;
    private final int slotSize;
    private final int requestArea;
    private final AtomicIntegerArray owners;
    private final Semaphore free;
    // the start-up (its wait for READY) and the exit handling each hold one until they are done
    private final AtomicInteger pins = new AtomicInteger(2);
    private final AtomicBoolean unmapped = new AtomicBoolean();
    private volatile boolean retired;
    private volatile boolean dead;

    private WorkerChannel(Path file, long address, long size, int slots, int slotSize, int requestArea) {
        this.file = file;
        this.address = address;
        this.size = size;
        this.memory = new Pointer(address).getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        this.slots = slots;
        this.slotSize = slotSize;
        this.requestArea = requestArea;
        this.owners = new AtomicIntegerArray(slots);
        this.free = new Semaphore(slots);
    }

    /**
     * Creates the channel file (in {@code directory}) for {@code slots} concurrent calls, each with
     * {@code areaBytes} for its request and as many for its response, and maps it.
     */
    static WorkerChannel create(Path directory, String name, int slots, int areaBytes) throws IOException {
        int slotSize = S_DATA + 2 * areaBytes;
        long size = HEADER_SIZE + (long) slots * slotSize;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a worker's channel of " + slots + " slots of " + slotSize
                    + " bytes is over 2 GiB: lower the concurrency or the slot size");
        }
        Path file = java.nio.file.Files.createTempFile(directory, name, ".channel");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        long address;
        try {
            address = Libc.mapShared(file.toString(), size);
        } catch (RuntimeException e) {
            java.nio.file.Files.deleteIfExists(file);
            throw new IOException(e.getMessage(), e);
        }
        WorkerChannel channel = new WorkerChannel(file, address, size, slots, slotSize, areaBytes);
        ByteBuffer m = channel.memory;
        m.putInt(H_MAGIC, MAGIC);
        m.putInt(H_SLOTS, slots);
        m.putLong(H_SLOT_SIZE, slotSize);
        m.putLong(H_REQUEST_AREA, areaBytes);
        return channel;
    }

    Path file() {
        return file;
    }

    int slots() {
        return slots;
    }

    /** Bytes a request or a response may take in a slot. */
    int areaBytes() {
        return requestArea;
    }

    // ---- start-up (the starting thread holds a pin) ----

    int workerState() {
        return (int) INT.getVolatile(memory, H_STATE);
    }

    /** Sleeps while the worker is starting, at most {@code nanos}. */
    void awaitStartup(long nanos) {
        if (workerState() == STARTING) {
            Libc.futexWait(address + H_STATE, STARTING, nanos);
        }
    }

    int headerInt(int offset) {
        return memory.getInt(offset);
    }

    String refusalDetail() {
        int length = Math.max(0, Math.min(memory.getInt(H_DETAIL_LEN), H_AWAKE - H_DETAIL));
        byte[] bytes = new byte[length];
        memory.get(H_DETAIL, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---- calls ----

    /**
     * Takes a free slot, waiting at most {@code nanos} for one.
     *
     * @return the slot, or -1 if none became free in time
     */
    int acquire(long nanos) throws InterruptedException {
        if (!free.tryAcquire()) {
            if (nanos <= 0 || !free.tryAcquire(nanos, TimeUnit.NANOSECONDS)) {
                return -1;
            }
        }
        int start = (int) (Thread.currentThread().getId() % slots);
        for (;;) { // a permit guarantees a free slot; a retired one is never taken
            for (int i = 0; i < slots; i++) {
                int slot = (start + i) % slots;
                if (owners.compareAndSet(slot, FREE, HELD)) {
                    return slot;
                }
            }
            if (retired) {
                free.release();
                return -1;
            }
        }
    }

    void release(int slot) {
        owners.compareAndSet(slot, HELD, FREE);
        free.release();
        if (retired) {
            unmapIfUnused();
        }
    }

    /** Writes the request into a held slot; false if it does not fit. */
    boolean writeRequest(int slot, RequestContext context, byte[] method, byte[] path, byte[] query,
            List<Header> headers, byte[][] headerBytes, byte[] body) {
        long total = Q_TABLE + 8L * headers.size() + method.length + path.length + query.length + body.length;
        for (byte[] b : headerBytes) {
            total += b.length;
        }
        if (total > requestArea) {
            return false;
        }
        int at = base(slot) + S_DATA;
        ByteBuffer m = memory;
        m.putLong(at + Q_ID, context.requestId());
        m.putLong(at + Q_DEADLINE, context.deadlineUnixNanos());
        m.putInt(at + Q_METHOD, method.length);
        m.putInt(at + Q_PATH, path.length);
        m.putInt(at + Q_QUERY, query.length);
        m.putInt(at + Q_HEADERS, headers.size());
        m.putLong(at + Q_BODY, body.length);
        int w = at + Q_TABLE + 8 * headers.size();
        for (int i = 0; i < headers.size(); i++) {
            m.putInt(at + Q_TABLE + 8 * i, headerBytes[2 * i].length);
            m.putInt(at + Q_TABLE + 8 * i + 4, headerBytes[2 * i + 1].length);
        }
        w = put(m, w, method);
        w = put(m, w, path);
        w = put(m, w, query);
        for (byte[] b : headerBytes) {
            w = put(m, w, b);
        }
        put(m, w, body);
        return true;
    }

    private static int put(ByteBuffer m, int at, byte[] bytes) {
        m.put(at, bytes);
        return at + bytes.length;
    }

    /** Hands the request in a held slot to the worker. */
    void send(int slot) {
        INT.setVolatile(memory, base(slot) + S_STATE, REQUEST);
        // the worker's threads say they sleep the other way round: awake down, then look at the slots
        if ((int) INT.getVolatile(memory, H_AWAKE) == 0) {
            ring();
        }
    }

    /** Wakes one sleeping worker thread: it polls the slots unless another thread does. */
    private void ring() {
        INT.getAndAdd(memory, H_DOORBELL, 1);
        Libc.futexWake(address + H_DOORBELL, 1);
    }

    /** Rings if no worker thread took the request in the slot yet. */
    private void ringUnlessTaken(int base) {
        if ((int) INT.getVolatile(memory, base + S_TAKEN) == 0) {
            ring();
        }
    }

    /**
     * Waits for the worker's answer in a held slot until {@code deadline} ({@link System#nanoTime()}).
     *
     * @return {@link #RESPONSE}, {@link #DEAD} or {@link #TIMED_OUT}
     */
    int await(int slot, long deadline) {
        int base = base(slot);
        int state = S_STATE + base;
        long spinUntil = 0;
        long ringAt = 0;
        for (int i = 0; SPIN_NANOS > 0; i++) {
            int s = (int) INT.getAcquire(memory, state);
            if (s != REQUEST) {
                return s;
            }
            if ((i & 63) == 0) {
                long now = System.nanoTime();
                if (spinUntil == 0) {
                    spinUntil = now + SPIN_NANOS;
                    ringAt = now + TAKE_NANOS;
                } else if (now - spinUntil > 0) {
                    break;
                } else if (ringAt != 0 && now - ringAt > 0) {
                    ringAt = 0;
                    ringUnlessTaken(base);
                }
            }
            if (i < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // more threads than cores spin: let one that has work run
            }
        }
        for (;;) {
            INT.setVolatile(memory, base + S_CALLER_WAITS, 1);
            int s = (int) INT.getVolatile(memory, state);
            if (s == REQUEST) {
                ringUnlessTaken(base); // before sleeping: someone must be on the way
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    INT.setVolatile(memory, base + S_CALLER_WAITS, 0);
                    return TIMED_OUT;
                }
                Libc.futexWait(address + state, REQUEST, Math.min(left, SLEEP_SLICE_NANOS));
                s = (int) INT.getVolatile(memory, state);
            }
            INT.setVolatile(memory, base + S_CALLER_WAITS, 0);
            if (s != REQUEST) {
                return s;
            }
            if (dead) {
                return DEAD;
            }
        }
    }

    /** After reading the response: the slot takes the next request. */
    void done(int slot) {
        INT.setRelease(memory, base(slot) + S_STATE, IDLE);
    }

    int responseInt(int slot, int offset) {
        return memory.getInt(base(slot) + S_DATA + requestArea + offset);
    }

    long responseLong(int slot, int offset) {
        return memory.getLong(base(slot) + S_DATA + requestArea + offset);
    }

    /** Bytes of a held slot's response area. */
    byte[] responseBytes(int slot, int offset, int length) {
        byte[] bytes = new byte[length];
        memory.get(base(slot) + S_DATA + requestArea + offset, bytes);
        return bytes;
    }

    String responseString(int slot, int offset, int length) {
        return new String(responseBytes(slot, offset, length), StandardCharsets.UTF_8);
    }

    // ---- the end ----

    boolean isDead() {
        return dead;
    }

    /**
     * After the worker exited (the exit handling holds a pin): tells every call waiting in a slot,
     * and unmaps once the last call let go of its slot.
     */
    void workerExited() {
        dead = true;
        for (int slot = 0; slot < slots; slot++) {
            int base = base(slot);
            INT.setVolatile(memory, base + S_STATE, DEAD);
            Libc.futexWake(address + base + S_STATE, Integer.MAX_VALUE);
        }
        retired = true;
        unpin();
    }

    /** Gives up a pin (start-up or exit handling); the last one lets the channel be unmapped. */
    void unpin() {
        pins.decrementAndGet();
        unmapIfUnused();
    }

    private void unmapIfUnused() {
        if (!retired || pins.get() > 0) {
            return;
        }
        for (int slot = 0; slot < slots; slot++) {
            if (owners.get(slot) != RETIRED && !owners.compareAndSet(slot, FREE, RETIRED)) {
                return; // a call still holds it: it unmaps when it lets go
            }
        }
        if (unmapped.compareAndSet(false, true)) {
            Libc.munmap(address, size);
            deleteFile();
        }
    }

    /** Deletes the file: once the worker mapped it, the mapping lives without its name. */
    void deleteFile() {
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (IOException e) {
            // in a temporary directory; reported nowhere else
        }
    }

    private int base(int slot) {
        return HEADER_SIZE + slot * slotSize;
    }
}
