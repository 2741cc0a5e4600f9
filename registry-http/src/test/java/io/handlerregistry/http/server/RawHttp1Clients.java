package io.handlerregistry.http.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP/1.1 keep-alive clients on plain sockets that say exactly what happened to each request: a
 * 200 read whole, a connection not accepted, a connection that ended before any byte of the answer
 * (the request was not taken in), or a failure: an answer cut off, anything but 200, or no answer
 * within 30 s. Each request is sent once: unlike java.net.http, which sends a GET again by itself
 * when it sees its connection end, so that the front answers one request of the client twice.
 */
final class RawHttp1Clients {
    private static final int READ_TIMEOUT_MS = 30_000;

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong ok = new AtomicLong();
    final LongAdder refused = new LongAdder();
    final LongAdder endedBeforeAnswer = new LongAdder();
    final List<String> failures = new CopyOnWriteArrayList<>();

    RawHttp1Clients(int count, int port, String path) {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try (Socket socket = new Socket()) {
                        try {
                            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                        } catch (IOException e) {
                            refused.increment(); // refused, or reset in the listener's backlog as it closed
                            continue;
                        }
                        socket.setSoTimeout(READ_TIMEOUT_MS);
                        InputStream in = new BufferedInputStream(socket.getInputStream());
                        while (running.get() && exchange(socket, in, request)) {
                            ok.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(e.getMessage());
                    }
                }
            }, "raw-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /**
     * Sends the request and reads its answer.
     *
     * @return true for a 200 read whole on a connection that stays open; false once the connection
     *         ended, after a 200 with "Connection: close" (counted here) or before any byte
     * @throws IOException a failure, described
     */
    private boolean exchange(Socket socket, InputStream in, byte[] request) throws IOException {
        try {
            socket.getOutputStream().write(request);
        } catch (IOException e) {
            endedBeforeAnswer.increment(); // closed by the front before the request went out
            return false;
        }
        StringBuilder head = new StringBuilder();
        try {
            while (!endsWithBlankLine(head)) {
                int b = in.read();
                if (b < 0) {
                    if (head.length() == 0) {
                        endedBeforeAnswer.increment();
                        return false;
                    }
                    throw new IOException("the connection ended in the middle of an answer's head: " + head);
                }
                head.append((char) b);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("no answer within " + READ_TIMEOUT_MS + " ms; got: " + head);
        } catch (IOException e) {
            if (head.length() == 0) {
                endedBeforeAnswer.increment(); // reset before any byte of an answer
                return false;
            }
            throw new IOException("after " + head.length() + " bytes of an answer's head (" + head + "): " + e, e);
        }
        String text = head.toString();
        if (!text.startsWith("HTTP/1.1 200 ")) {
            throw new IOException("not 200: " + text.replace("\r\n", " | "));
        }
        int length = -1;
        boolean close = false;
        for (String line : text.split("\r\n")) {
            String lower = line.toLowerCase();
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring(15).strip());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        try {
            if (length < 0 || in.readNBytes(length).length != length) {
                throw new IOException("no Content-Length, or the connection ended in the body");
            }
        } catch (IOException e) {
            throw new IOException("in the body of an answer whose head came (" + text.replace("\r\n", " | ") + "): " + e,
                    e);
        }
        if (close) {
            ok.incrementAndGet();
            return false;
        }
        return true;
    }

    /** True once the head ends with its empty line (looked at where it ends, not searched for). */
    private static boolean endsWithBlankLine(StringBuilder head) {
        int n = head.length();
        return n >= 4 && head.charAt(n - 4) == '\r' && head.charAt(n - 3) == '\n' && head.charAt(n - 2) == '\r'
                && head.charAt(n - 1) == '\n';
    }

    RawHttp1Clients stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
        return this;
    }
}
