package io.handlerregistry.shell.internal;

/**
 * A command typed wrongly: a missing or wrong argument or option value, a file that cannot be read.
 * Shells print it as its message alone, one line naming what was wrong and what is allowed (Gogo
 * prints an exception's {@code toString()}, which would put the class name before it).
 */
final class UsageError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
        super(message);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
