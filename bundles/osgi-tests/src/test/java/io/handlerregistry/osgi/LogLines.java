package io.handlerregistry.osgi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;

/**
 * The log records of the JVM while open: the registry logs through System.Logger, which is
 * java.util.logging here (at WARNING and above, see the tests' logging.properties).
 */
final class LogLines extends Handler implements AutoCloseable {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    private LogLines() {
    }

    static LogLines capture() {
        LogLines lines = new LogLines();
        Logger.getLogger("").addHandler(lines);
        return lines;
    }

    /** The messages logged so far that contain {@code text}. */
    List<String> containing(String text) {
        return records.stream().map(formatter::formatMessage).filter(m -> m.contains(text))
                .collect(Collectors.toList());
    }

    /** The records logged so far. */
    List<LogRecord> records() {
        return List.copyOf(records);
    }

    void clear() {
        records.clear();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
