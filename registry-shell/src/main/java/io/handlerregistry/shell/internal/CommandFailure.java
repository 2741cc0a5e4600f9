package io.handlerregistry.shell.internal;

/**
 * The registry's refusal of what a command asked (no such endpoint, an invalid id, a library it
 * will not load), shown as its message alone: the shell prints an error's {@code toString()}, which
 * put the exception's class name before a message written for the user.
 */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final String API_PACKAGE = "io.handlerregistry.api.";

    private CommandFailure(RuntimeException cause) {
        super(cause.getMessage(), cause);
    }

    /** The registry's own exceptions as a failure of the command; any other stays as it is. */
    static RuntimeException of(RuntimeException e) {
        boolean registrys = e.getClass().getName().startsWith(API_PACKAGE) && e.getMessage() != null;
        return registrys ? new CommandFailure(e) : e;
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
