package io.handlerregistry.api;

import java.util.Locale;

/**
 * Where an endpoint's native code runs.
 *
 * <p>{@link #IN_PROCESS} is the fastest (a call costs about 150 ns more than the handler's own work)
 * but shares the JVM's fate: a handler that crashes, aborts or corrupts memory ends the container.
 * {@link #PROCESS} runs the library in a worker process of its own, started by the registry: a crash
 * or a hung call then ends that worker only, its calls fail with a specific exception, and the
 * registry starts it again; a call costs a few microseconds more. Handlers need no change for either.
 */
public enum Isolation {
    /** The library is loaded into the JVM's process (the default). */
    IN_PROCESS("in-process"),
    /** The library runs in a worker process of its own (Linux). */
    PROCESS("process");

    private final String label;

    Isolation(String label) {
        this.label = label;
    }

    /** How settings, manifests and the shell write it: {@code in-process} or {@code process}. */
    public String label() {
        return label;
    }

    /**
     * Reads {@code in-process} or {@code process} (any case, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the values allowed
     */
    public static Isolation parse(String text) {
        String value = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Isolation isolation : values()) {
            if (isolation.label.equals(value)) {
                return isolation;
            }
        }
        throw new IllegalArgumentException("isolation '" + text + "' is not known: use in-process or process");
    }

    @Override
    public String toString() {
        return label;
    }
}
