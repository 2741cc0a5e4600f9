package io.handlerregistry.shell.internal;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.handlerregistry.api.Isolation;

/**
 * Option values as typed: the commands take them as text and read them here, so that a wrong one
 * is a {@link UsageError} naming the command, the option, the value and what is allowed (Gogo's own
 * conversion to a number only says "Cannot coerce ...") and a value out of range is refused before
 * anything is done.
 */
final class Options {
    private Options() {
    }

    /**
     * A whole number from {@code min} to {@code max} ({@link Long#MAX_VALUE}: no upper bound).
     *
     * @param option the option's names as the usage shows them, e.g. "-t/--timeout"
     * @param unit what it counts, e.g. "milliseconds"
     * @param note added to what is allowed, e.g. " (0: no timeout)"
     */
    static long wholeNumber(String command, String option, String text, long min, long max, String unit,
            String note) {
        String allowed = "a whole number of " + unit + ", " + range(min, max) + note;
        BigDecimal value = number(command, option, text, allowed);
        try {
            long whole = value.stripTrailingZeros().longValueExact();
            if (whole >= min && whole <= max) {
                return whole;
            }
        } catch (ArithmeticException notWhole) {
            // refused below
        }
        throw wrong(command, option, text, allowed);
    }

    /** A number of seconds of at least {@code min} (more than {@code min} if {@code exclusive}). */
    static double seconds(String command, String option, String text, double min, boolean exclusive, String note) {
        String allowed = "a number of seconds, " + (exclusive ? "more than " + plain(min) : plain(min) + " or more")
                + note;
        double value = number(command, option, text, allowed).doubleValue();
        if (Double.isFinite(value) && (exclusive ? value > min : value >= min)) {
            return value;
        }
        throw wrong(command, option, text, allowed);
    }

    /** A canary's percent: more than 0 and less than 100, to 0.01 (the argument {@code percent}). */
    static double percent(String command, String text) {
        String allowed = "a percent more than 0 and less than 100, to 0.01 at most (e.g. 20 or 0.5)";
        BigDecimal value;
        try {
            value = new BigDecimal(text.strip().endsWith("%") ? text.strip().substring(0, text.strip().length() - 1)
                    : text.strip());
        } catch (NumberFormatException e) {
            throw new UsageError(command + ": the percent '" + text + "' is wrong: it needs " + allowed);
        }
        if (value.signum() <= 0 || value.compareTo(BigDecimal.valueOf(100)) >= 0
                || value.stripTrailingZeros().scale() > 2) {
            throw new UsageError(command + ": the percent '" + text + "' is wrong: it needs " + allowed);
        }
        return value.doubleValue();
    }

    /** Where a library runs: in-process or process; empty: the registry's setting. */
    static Isolation isolation(String command, String text) {
        try {
            return Isolation.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw wrong(command, "-i/--isolation", text, "in-process or process");
        }
    }

    /** The bytes of a file named by an option. */
    static byte[] file(String command, String option, String name) {
        Path file = Path.of(name);
        String problem = !Files.exists(file) ? "does not exist"
                : Files.isDirectory(file) ? "is a directory"
                : !Files.isReadable(file) ? "cannot be read (permission denied)" : null;
        if (problem == null) {
            try {
                return Files.readAllBytes(file);
            } catch (AccessDeniedException e) {
                problem = "cannot be read (permission denied)";
            } catch (IOException e) {
                problem = "cannot be read (" + e.getMessage() + ")";
            }
        }
        throw new UsageError(command + ": " + option + " " + file.toAbsolutePath() + " " + problem
                + ": give a file to read the request body from");
    }

    private static BigDecimal number(String command, String option, String text, String allowed) {
        try {
            return new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            throw wrong(command, option, text, allowed);
        }
    }

    private static UsageError wrong(String command, String option, String text, String allowed) {
        return new UsageError(command + ": " + option + " is '" + text + "': give " + allowed);
    }

    private static String range(long min, long max) {
        return max == Long.MAX_VALUE ? min + " or more" : min + " to " + max;
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
