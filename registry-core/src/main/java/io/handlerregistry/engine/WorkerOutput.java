package io.handlerregistry.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import com.sun.jna.Memory;

/**
 * A worker process's stdout and stderr, read line by line until the registry says the worker ended.
 * The worker writes into a FIFO (given to it as its output file) rather than into the pipe a
 * {@link ProcessBuilder} makes: a pipe's reader sees its end only once the last writer is gone, and a
 * process the handler started and that left the worker's process group may hold it for ever, keeping
 * the reading thread (and the JDK's own process reaper, which waits for that stream) blocked. Here
 * {@link #stop()} makes the reader take what the FIFO holds at that moment and end.
 */
final class WorkerOutput {
    private static final int MAX_LINE_BYTES = 4000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int FIFO_MODE = 0600;

    private final Path path;
    private final int fifo;
    private final int wake;
    private final Memory buffer = new Memory(8192);
    private final Memory pollFds = new Memory(16);
    private final Memory one = new Memory(8);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean cut;
    private boolean closed; // guarded by this: the descriptors are closed (their numbers may be reused)

    private WorkerOutput(Path path, int fifo, int wake) {
        this.path = path;
        this.fifo = fifo;
        this.wake = wake;
    }

    /** Makes the FIFO at {@code path} and opens its reading end (without waiting for a writer). */
    static WorkerOutput create(Path path) throws IOException {
        if (Libc.mkfifo(path.toString(), FIFO_MODE) != 0) {
            throw new IOException("cannot make the FIFO " + path + " for a worker's output");
        }
        int fifo = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        int wake = fifo < 0 ? -1 : Libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake < 0) {
            if (fifo >= 0) {
                Libc.close(fifo);
            }
            Files.deleteIfExists(path);
            throw new IOException("cannot open the FIFO " + path + " for a worker's output");
        }
        return new WorkerOutput(path, fifo, wake);
    }

    /** The FIFO, for the worker to write to: give it as the process's output file, then {@link #unlink()}. */
    Path path() {
        return path;
    }

    /** Removes the FIFO's name; the worker keeps writing into it. */
    void unlink() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // in a temporary directory; nothing else refers to it
        }
    }

    /** For a worker that never started: nobody will read. */
    void close() {
        unlink();
        closeDescriptors();
    }

    private synchronized void closeDescriptors() {
        if (!closed) {
            closed = true;
            Libc.close(fifo);
            Libc.close(wake);
        }
    }

    /**
     * Reads lines and hands each to {@code lines} until every writer is gone or {@link #stop()} was
     * called (then what the FIFO holds is read first); closes the FIFO at the end. Run on a thread of
     * its own.
     */
    void read(Consumer<String> lines) {
        try {
            pollFds.setInt(0, fifo);
            pollFds.setShort(4, Libc.POLLIN);
            pollFds.setInt(8, wake);
            pollFds.setShort(12, Libc.POLLIN);
            for (;;) {
                pollFds.setShort(6, (short) 0);
                pollFds.setShort(14, (short) 0);
                if (Libc.poll(pollFds, 2, -1) < 0) {
                    continue; // interrupted by a signal
                }
                if (pollFds.getShort(14) != 0) { // stopped: take what is there, without waiting for more
                    while (take(lines) > 0) {
                        // drained up to the moment the worker ended
                    }
                    break;
                }
                if (pollFds.getShort(6) != 0 && take(lines) == 0) {
                    break; // no writer left
                }
            }
            if (line.size() > 0) {
                emit(lines);
            }
        } finally {
            closeDescriptors();
        }
    }

    /** Once the worker ended: the reader takes what the FIFO holds and ends, whoever else holds it. */
    synchronized void stop() {
        if (!closed) {
            one.setLong(0, 1);
            Libc.write(wake, one, 8);
        }
    }

    /** Reads what is there: the bytes read, 0 at the end (no writer left), -1 if nothing is there now. */
    private long take(Consumer<String> lines) {
        long n = Libc.read(fifo, buffer, buffer.size());
        for (long i = 0; i < n; i++) {
            byte b = buffer.getByte(i);
            if (b == '\n') {
                emit(lines);
            } else if (line.size() < MAX_LINE_BYTES) {
                line.write(b);
            } else {
                cut = true;
            }
        }
        return n;
    }

    private void emit(Consumer<String> lines) {
        String text = new String(line.toByteArray(), StandardCharsets.UTF_8);
        line.reset();
        lines.accept(cut ? text + "..." : text);
        cut = false;
    }
}
