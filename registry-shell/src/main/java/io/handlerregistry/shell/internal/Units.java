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
        if (Math.round(nanos / 1_000.0) < 1_000) { // 1 ms is "1.0 ms", not "1000 µs"
            return Math.round(nanos / 1_000.0) + " µs";
        }
        if (Math.round(nanos / 100_000.0) < 10_000) {
            return Math.round(nanos / 100_000.0) / 10.0 + " ms";
        }
        return Math.round(nanos / 100_000_000.0) / 10.0 + " s";
    }

    /** A number of calls: 1 call, 2 calls. */
    static String calls(long calls) {
        return calls == 1 ? "1 call" : calls + " calls";
    }

    /** A duration in seconds with one decimal: 2.8 s. */
    static String seconds(double seconds) {
        return Math.round(seconds * 10) / 10.0 + " s";
    }

    /** A count per second, short: 950, 12.3k, 1.45M. */
    static String rate(double perSecond) {
        if (perSecond < 1_000) {
            return perSecond < 10 && perSecond != Math.rint(perSecond) ? String.valueOf(Math.round(perSecond * 10) / 10.0)
                    : String.valueOf(Math.round(perSecond));
        }
        if (perSecond < 1_000_000) {
            return Math.round(perSecond / 100) / 10.0 + "k";
        }
        return Math.round(perSecond / 10_000) / 100.0 + "M";
    }

    static String time(Instant instant) {
        return CLOCK.format(instant);
    }

    static String ago(Instant since) {
        long nanos = Duration.between(since, Instant.now()).toNanos();
        return (nanos < 1_000_000_000 ? nanos(nanos) : seconds(nanos / 1e9)) + " ago";
    }
}
