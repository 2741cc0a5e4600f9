package io.handlerregistry.shell.internal.karaf;

/**
 * A command's refusal in Karaf's shell: its message in red, as Karaf shows any error, but logged at debug
 * level only (Karaf knows its own {@code CommandException} by its simple name and asks it for
 * {@link #getNiceHelp()}); any other exception is logged at ERROR with its stack, which a mistyped
 * command or a refused library is not.
 */
final class CommandException extends Exception {
    private static final long serialVersionUID = 1L;

    CommandException(RuntimeException refusal) {
        super(refusal.getMessage(), refusal);
    }

    /** What Karaf prints: the same words and colours as its "Error executing command". */
    public String getNiceHelp() {
        return "\u001b[31mError executing command: \u001b[1m" + getMessage() + "\u001b[22m\u001b[39m";
    }
}
