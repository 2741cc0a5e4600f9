package io.handlerregistry.engine;

/** What a task on another thread threw (the cause of an ExecutionException), as its caller throws it. */
final class Unchecked {
    private Unchecked() {
    }

    /**
     * The cause itself if it is a RuntimeException (a HandlerException, say), thrown if it is an
     * Error, else wrapped.
     */
    static RuntimeException of(Throwable cause) {
        if (cause instanceof RuntimeException) {
            return (RuntimeException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new IllegalStateException(cause);
    }
}
