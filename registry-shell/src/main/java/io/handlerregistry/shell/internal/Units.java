package io.handlerregistry.shell.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** How the commands show times. */
final class Units {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private Units() {
    }

    static String nanos(long nanos) {
        if (nanos < 10_000) {
            return Math.round(nanos / 100.0) / 10.0 + " µs";
        }
        if (nanos < 10_000_000) {
            return Math.round(nanos / 1_000.0) + " µs";
        }
        if (nanos < 10_000_000_000L) {
            return Math.round(nanos / 100_000.0) / 10.0 + " ms";
        }
        return Math.round(nanos / 100_000_000.0) / 10.0 + " s";
    }

    static String time(Instant instant) {
        return CLOCK.format(instant);
    }

    static String ago(Instant since) {
        return nanos(Duration.between(since, Instant.now()).toNanos()) + " ago";
    }
}
