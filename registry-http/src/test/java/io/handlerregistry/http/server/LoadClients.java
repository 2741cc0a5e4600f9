package io.handlerregistry.http.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client threads that send requests over keep-alive connections until stopped, and count what came
 * back: statuses, answers by their first word, connections refused (never accepted), and any
 * other failure (a request that was sent and not answered).
 */
final class LoadClients {
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    final LongAdder refused = new LongAdder();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicLong ok = new AtomicLong();

    LoadClients(int count, int port, String path, HttpClient.Version version) {
        this(count, 1, port, path, version);
    }

    /**
     * {@code count} clients, each used by {@code threadsEach} threads at once: on HTTP/2, that many
     * streams open at a time on each client's connection.
     */
    LoadClients(int count, int threadsEach, int port, String path, HttpClient.Version version) {
        HttpClient shared = null;
        for (int i = 0; i < count * threadsEach; i++) {
            if (i % threadsEach == 0) {
                shared = HttpClient.newBuilder().version(version).connectTimeout(Duration.ofSeconds(5)).build();
            }
            HttpClient client = shared;
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        statuses.computeIfAbsent(r.statusCode(), s -> new LongAdder()).increment();
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                            answers.computeIfAbsent(r.body().split(" ", 2)[0], a -> new LongAdder()).increment();
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (ConnectException e) {
                        refused.increment(); // not accepted: nothing was lost
                    } catch (IOException e) {
                        failures.add(e.toString());
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                        return;
                    }
                }
            }, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    long answers(String firstWord) {
        LongAdder n = answers.get(firstWord);
        return n == null ? 0 : n.sum();
    }

    LoadClients stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
        return this;
    }

    long non2xx() {
        return statuses.entrySet().stream().filter(e -> e.getKey() / 100 != 2).mapToLong(e -> e.getValue().sum()).sum();
    }
}
