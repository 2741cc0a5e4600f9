package io.handlerregistry.osgi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Threads that call without pause until stopped, counting answers by their first word ("v1",
 * "v2") and keeping, per thread, the order in which those words were first seen, plus every failure.
 */
final class ContinuousCalls {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final LongAdder calls = new LongAdder();
    private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private final Queue<List<String>> switches = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    ContinuousCalls(int threadCount, Supplier<String> call) {
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(() -> {
                List<String> seen = new ArrayList<>();
                while (running.get()) {
                    try {
                        String word = call.get().split(" ", 2)[0];
                        answers.computeIfAbsent(word, w -> new LongAdder()).increment();
                        if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(word)) {
                            seen.add(word);
                        }
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                    }
                    calls.increment();
                }
                switches.add(seen);
            }, "continuous-calls-" + i);
            threads.add(t);
            t.start();
        }
    }

    long calls() {
        return calls.sum();
    }

    long answers(String firstWord) {
        LongAdder n = answers.get(firstWord);
        return n == null ? 0 : n.sum();
    }

    /** Stops the threads and waits for them. */
    ContinuousCalls stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        return this;
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    /** What was answered and what failed so far, for the message of an assertion. */
    @Override
    public String toString() {
        return calls() + " calls, answers by first word " + answers + ", " + failures.size() + " failed"
                + (failures.isEmpty() ? "" : " (the first: " + failures.peek() + ")");
    }

    /** Per thread, the first words of the answers in the order they changed, e.g. [v1, v2]. */
    List<List<String>> switchesPerThread() {
        return List.copyOf(switches);
    }
}
