package io.handlerregistry.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Reads a log file that is rotated by renaming (handler-registry.log becomes .1, .1 becomes .2, ...):
 * its last lines, continued into the files before it when it holds fewer, and then what is written to
 * it, across rotations.
 */
final class LogTail {
    private static final int CHUNK = 64 * 1024;

    private final Path file;
    // where following starts: the file read by last() (its identity) and its size then
    private Object startKey;
    private long startPosition;

    LogTail(Path file) {
        this.file = file;
    }

    /** The last {@code count} lines, oldest first: of the file, then of the rotated ones before it. */
    List<String> last(int count) throws IOException {
        Deque<String> lines = new ArrayDeque<>();
        for (int generation = 0; lines.size() < count; generation++) {
            Path f = generation == 0 ? file : file.resolveSibling(file.getFileName() + "." + generation);
            List<String> read;
            try (FileChannel channel = FileChannel.open(f, StandardOpenOption.READ)) {
                long end = channel.size();
                if (generation == 0) {
                    startKey = key();
                    startPosition = end;
                }
                read = lastLines(channel, end, count - lines.size());
            } catch (NoSuchFileException e) {
                if (generation == 0) {
                    throw e;
                }
                break; // no older file
            }
            for (int i = read.size() - 1; i >= 0; i--) {
                lines.addFirst(read.get(i));
            }
        }
        return new ArrayList<>(lines);
    }

    /** The last {@code count} lines before {@code end}, read back from there a chunk at a time. */
    private static List<String> lastLines(FileChannel channel, long end, int count) throws IOException {
        long start = end;
        byte[] tail = new byte[0];
        while (start > 0 && newlines(tail) <= count) { // count + 1 line ends: the first line is whole
            int size = (int) Math.min(CHUNK, start);
            start -= size;
            ByteBuffer chunk = ByteBuffer.allocate(size + tail.length).limit(size);
            while (chunk.hasRemaining() && channel.read(chunk, start + chunk.position()) >= 0) {
                // until the chunk is read whole
            }
            chunk.limit(size + tail.length).put(size, tail);
            tail = chunk.array();
        }
        List<String> lines = new String(tail, StandardCharsets.UTF_8).lines().toList();
        return lines.subList(Math.max(0, lines.size() - count), lines.size());
    }

    private static int newlines(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) {
            n += b == '\n' ? 1 : 0;
        }
        return n;
    }

    /**
     * Hands each line written to the file after {@link #last} read it (or from its start) to
     * {@code out}, until the calling thread is interrupted (then it returns). A file rotated meanwhile
     * is read to its end, then the new one from its start.
     */
    void follow(Consumer<String> out, long pollMillis) throws IOException {
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        FileChannel channel = null;
        Object key = startKey;
        long position = startPosition;
        try {
            while (!Thread.currentThread().isInterrupted()) { // interrupted: Ctrl-C
                if (channel == null) {
                    try {
                        channel = FileChannel.open(file, StandardOpenOption.READ);
                        Object opened = key();
                        if (!Objects.equals(opened, key)) {
                            key = opened; // not the file last() read: from its start
                            position = 0;
                        }
                    } catch (NoSuchFileException e) {
                        channel = null; // between the renames of a rotation
                    }
                }
                if (channel != null) {
                    if (channel.size() < position) {
                        position = 0; // truncated
                    }
                    position += readNew(channel, position, partial, out);
                    if (!Objects.equals(key(), key)) { // rotated: the rest of the old file, then the new one
                        readNew(channel, position, partial, out);
                        channel.close();
                        channel = null;
                        key = null;
                        position = 0;
                        continue;
                    }
                }
                try {
                    Thread.sleep(pollMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } catch (ClosedByInterruptException e) {
            Thread.currentThread().interrupt(); // interrupted in a read (which closed the channel)
        } finally {
            if (channel != null) {
                channel.close();
            }
        }
    }

    /** The identity of the file now at the path (its inode), null if there is none. */
    private Object key() throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Reads from {@code position} to the end, hands on the complete lines; returns the bytes read. */
    private static long readNew(FileChannel channel, long position, ByteArrayOutputStream partial,
            Consumer<String> out) throws IOException {
        long read = 0;
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        for (int n; (n = channel.read(buffer, position + read)) > 0; buffer.clear()) {
            read += n;
            byte[] bytes = buffer.array();
            for (int i = 0; i < n; i++) {
                if (bytes[i] == '\n') {
                    out.accept(partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                } else {
                    partial.write(bytes[i]);
                }
            }
        }
        return read;
    }
}
