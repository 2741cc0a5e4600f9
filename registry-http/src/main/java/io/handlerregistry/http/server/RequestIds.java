package io.handlerregistry.http.server;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the client's {@code x-request-id} when it sent a usable one (1 to 128 visible ASCII
 * characters), else a new random one. The handler's context holds a number: the id itself when it
 * is a decimal number that fits, else a 64-bit hash of it (so a generated id and the number the
 * handler sees read the same).
 */
final class RequestIds {
    private RequestIds() {
    }

    /** The id for a request, from its {@code x-request-id} header (null if it has none). */
    static String of(String header) {
        if (header != null && usable(header)) {
            return header;
        }
        return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** The number the handler's context carries for an id. */
    static long number(String id) {
        if (id.length() <= 18 && !id.isEmpty()) {
            long n = 0;
            boolean digits = true;
            for (int i = 0; i < id.length() && digits; i++) {
                char c = id.charAt(i);
                digits = c >= '0' && c <= '9';
                n = n * 10 + (c - '0');
            }
            if (digits) {
                return n;
            }
        }
        long hash = 0xcbf29ce484222325L; // FNV-1a
        for (int i = 0; i < id.length(); i++) {
            hash ^= id.charAt(i);
            hash *= 0x100000001b3L;
        }
        return hash & Long.MAX_VALUE;
    }

    private static boolean usable(String id) {
        if (id.isEmpty() || id.length() > 128) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }
}
