package io.handlerregistry.distribution;

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
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients calling one path over keep-alive connections until stopped, counting answers by their
 * first word, connections refused (never taken in) and everything else that went wrong.
 */
final class HttpLoad {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    final LongAdder ok = new LongAdder();
    final LongAdder refused = new LongAdder();
    final List<String> failures = new CopyOnWriteArrayList<>();

    HttpLoad(int port, String path, int clients, HttpClient.Version version, int moreClients,
            HttpClient.Version moreVersion) {
        for (int i = 0; i < clients + moreClients; i++) {
            HttpClient client = HttpClient.newBuilder().version(i < clients ? version : moreVersion)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).build();
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.increment();
                            answers.computeIfAbsent(r.body().split(" ", 2)[0], a -> new LongAdder()).increment();
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (ConnectException e) {
                        refused.increment();
                    } catch (IOException e) {
                        failures.add(e.toString());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "http-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    long answers(String firstWord) {
        LongAdder n = answers.get(firstWord);
        return n == null ? 0 : n.sum();
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
