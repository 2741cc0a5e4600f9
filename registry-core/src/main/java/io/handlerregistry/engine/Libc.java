package io.handlerregistry.engine;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few C library calls process isolation needs that Java has no API for: mapping the channel
 * file with an address that is unmapped exactly when the registry says (a MappedByteBuffer goes only
 * when the garbage collector finds it), futex waits and wake-ups on words in it, killing a worker's
 * process group, and reading its output from a FIFO in a way that stops when the registry says (a
 * process's pipe ends only when its last writer is gone). Linux only.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int SIGKILL = 9;
    static final short POLLIN = 1;
    static final int PROT_READ_WRITE = 3;
    static final int MAP_SHARED = 1;
    private static final long MAP_FAILED = -1;
    private static final int FUTEX_WAIT = 0; // not FUTEX_PRIVATE_FLAG: the word is shared with another process
    private static final int FUTEX_WAKE = 1;
    private static final long SYS_FUTEX = "aarch64".equals(Platform.ARCH) ? 98 : 202;
    private static final ThreadLocal<Memory> TIMESPEC = ThreadLocal.withInitial(() -> new Memory(16));

    static {
        Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private Libc() {
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    static native long mmap(long address, long length, int protection, int flags, int fd, long offset);

    static native int munmap(long address, long length);

    static native int kill(int pid, int signal);

    static native int mkfifo(String path, int mode);

    static native int poll(Pointer fds, long count, int timeoutMillis);

    static native long read(int fd, Pointer buffer, long count);

    static native long write(int fd, Pointer buffer, long count);

    static native int eventfd(int initial, int flags);

    static native long syscall(long number, long address, long operation, long value, long timeout, long address2,
            long value3);

    /** Maps {@code length} bytes of the file shared and writable; the mapping outlives the file's name. */
    static long mapShared(String path, long length) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("cannot open " + path);
        }
        try {
            long address = mmap(0, length, PROT_READ_WRITE, MAP_SHARED, fd, 0);
            if (address == MAP_FAILED) {
                throw new IllegalStateException("cannot map " + length + " bytes of " + path);
            }
            return address;
        } finally {
            close(fd);
        }
    }

    /** Sleeps while the int at {@code address} holds {@code value}, at most {@code nanos}; may wake early. */
    static void futexWait(long address, int value, long nanos) {
        Memory timespec = TIMESPEC.get();
        timespec.setLong(0, nanos / 1_000_000_000L);
        timespec.setLong(8, nanos % 1_000_000_000L);
        syscall(SYS_FUTEX, address, FUTEX_WAIT, value, Pointer.nativeValue(timespec), 0, 0);
    }

    /** Wakes up to {@code count} threads (of any process) sleeping on the int at {@code address}. */
    static void futexWake(long address, int count) {
        syscall(SYS_FUTEX, address, FUTEX_WAKE, count, 0, 0, 0);
    }
}
