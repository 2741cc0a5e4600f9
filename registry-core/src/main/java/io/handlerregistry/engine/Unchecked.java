package io.handlerregistry.engine;

/**
 * A throwable as its caller throws it: what a task on another thread threw (the cause of an
 * ExecutionException), or what a method handle's {@code invokeExact} declares but never throws checked.
 */
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
