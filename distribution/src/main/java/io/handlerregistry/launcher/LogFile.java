package io.handlerregistry.launcher;

import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/**
 * The container's log file, a java.util.logging handler: each record is appended (and flushed) to
 * {@code var/log/handler-registry.log} of the installation, whatever the working directory, and the
 * file is rotated by size as Karaf's is: at {@code limit} bytes it becomes {@code handler-registry.log.1}
 * (the one before becomes .2, and so on; {@code count} files are kept), and a new one is started. A
 * restart appends to the file. Configured in {@code conf/logging.properties} with the prefix
 * {@code io.handlerregistry.launcher.LogFile.}: {@code file} (relative to the installation,
 * {@code handler.registry.home}), {@code limit}, {@code count}, and as any handler {@code level},
 * {@code formatter}, {@code encoding} (UTF-8 by default). When the file cannot be written (a read-only
 * installation), it says so once on stderr and logs nothing: the console still has everything.
 */
public final class LogFile extends StreamHandler {
    /** Where the installation is: bin/handler-registry sets it. */
    static final String HOME_PROPERTY = "handler.registry.home";
    private static final String DEFAULT_FILE = "var/log/handler-registry.log";
    private static final long DEFAULT_LIMIT = 10L << 20;
    private static final int DEFAULT_COUNT = 10;

    private final Path file;
    private final long limit;
    private final int count;
    private Counting out; // null when the file cannot be written

    public LogFile() {
        // StreamHandler's constructor has read level, filter, formatter and encoding under this class's name
        String prefix = getClass().getName() + ".";
        LogManager manager = LogManager.getLogManager();
        String home = System.getProperty(HOME_PROPERTY, "");
        String name = manager.getProperty(prefix + "file");
        this.file = Path.of(home).resolve(name == null || name.isBlank() ? DEFAULT_FILE : name.strip())
                .toAbsolutePath().normalize();
        this.limit = number(prefix + "limit", DEFAULT_LIMIT, 0, Long.MAX_VALUE);
        this.count = (int) number(prefix + "count", DEFAULT_COUNT, 1, 1000);
        try {
            if (manager.getProperty(prefix + "encoding") == null) {
                setEncoding(StandardCharsets.UTF_8.name());
            }
            Files.createDirectories(file.getParent());
            open(true);
            if (limit > 0 && out.written >= limit) {
                rotate();
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("handler-registry: cannot write the log file " + file + " (" + e
                    + "); logging to the console only");
            out = null;
        }
    }

    /** The file written to, or null when it cannot be written. */
    public synchronized Path file() {
        return out == null ? null : file;
    }

    @Override
    public synchronized void publish(LogRecord record) {
        if (out == null || !isLoggable(record)) {
            return;
        }
        super.publish(record);
        flush(); // each line is on disk at once: handler:log --follow, tail -f
        if (limit > 0 && out.written >= limit) {
            try {
                rotate();
            } catch (IOException e) {
                System.err.println("handler-registry: cannot rotate the log file " + file + " (" + e
                        + "); logging to the console only");
                out = null;
            }
        }
    }

    @Override
    public synchronized void close() {
        super.close();
        out = null;
    }

    /** handler-registry.log becomes .1, .1 becomes .2, ...; the oldest beyond {@code count} goes. */
    private void rotate() throws IOException {
        super.close(); // closes the file (before renaming it, as some systems need)
        for (int i = count - 1; i >= 1; i--) {
            Path older = generation(i - 1);
            if (Files.exists(older)) {
                Files.move(older, generation(i), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (count == 1) {
            Files.deleteIfExists(file);
        }
        open(false);
    }

    private Path generation(int n) {
        return n == 0 ? file : file.resolveSibling(file.getFileName() + "." + n);
    }

    private void open(boolean append) throws IOException {
        long size = append && Files.exists(file) ? Files.size(file) : 0;
        out = new Counting(new FileOutputStream(file.toFile(), append), size);
        try {
            setOutputStream(out);
        } catch (SecurityException e) {
            out.close();
            throw e;
        }
    }

    /** A whole number of the logging configuration; a wrong one is said on stderr and the default used. */
    private static long number(String key, long fallback, long min, long max) {
        String text = LogManager.getLogManager().getProperty(key);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            long value = Long.parseLong(text.strip());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        System.err.println("handler-registry: " + key + "=" + text.strip() + " of the logging configuration ("
                + System.getProperty("java.util.logging.config.file", "java.util.logging.config.file") + ") is"
                + " refused: it needs a whole number from " + min + " to " + max + "; " + key + " is " + fallback);
        return fallback;
    }

    /** Counts the bytes written, so that the file is rotated at its limit. */
    private static final class Counting extends FilterOutputStream {
        long written;

        Counting(OutputStream out, long written) {
            super(out);
            this.written = written;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            written++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            written += len;
        }
    }
}
