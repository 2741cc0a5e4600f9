package io.handlerregistry.osgi;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.engine.GuardSettings;

/**
 * The guard's settings in the registry's configuration: {@code guard.enabled}, {@code guard.window.s},
 * {@code guard.max.failure.ratio}, {@code guard.min.requests}, {@code guard.promote.after.s} and
 * {@code guard.watch.s} for every endpoint, and {@code guard.endpoints}, the endpoints that differ: entries
 * separated by commas, each an endpoint id (the guard watches it, with the settings for every endpoint) and
 * then, separated by spaces, the settings it has of its own without their {@code guard.} prefix, e.g.
 * {@code greeting, checkout window.s=30 max.failure.ratio=0.05, echo enabled=false}.
 */
final class GuardConfig {
    private GuardConfig() {
    }

    /** A ratio more than 0 and at most 1, or IllegalArgumentException. */
    static double ratio(String text) {
        double ratio;
        try {
            ratio = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("it needs a number more than 0 and at most 1 (e.g. 0.1 for 10 %)");
        }
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("it needs a number more than 0 and at most 1 (e.g. 0.1 for 10 %)");
        }
        return ratio;
    }

    static String ratioProblem(String text) {
        try {
            ratio(text);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The per-endpoint settings, each from {@code defaults} with its own changes (checked before). */
    static Map<String, GuardSettings> perEndpoint(String text, GuardSettings defaults) {
        Map<String, GuardSettings> result = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            if (!entry.isBlank()) {
                String[] words = entry.strip().split("\\s+");
                GuardSettings s = defaults.enabled(true);
                for (int i = 1; i < words.length; i++) {
                    s = with(s, words[i]);
                }
                result.put(words[0], s);
            }
        }
        return result;
    }

    static String perEndpointProblem(String text) {
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                String[] words = entry.strip().split("\\s+");
                HandlerRegistry.checkEndpointId(words[0]);
                GuardSettings s = GuardSettings.DEFAULTS;
                for (int i = 1; i < words.length; i++) {
                    s = with(s, words[i]);
                }
            } catch (RuntimeException e) {
                return "'" + entry.strip() + "' is wrong (" + e.getMessage() + "); write the endpoint, then its own"
                        + " settings as key=value separated by spaces (enabled, window.s, max.failure.ratio,"
                        + " min.requests, promote.after.s, watch.s), entries separated by commas, e.g. 'greeting,"
                        + " checkout window.s=30 max.failure.ratio=0.05'";
            }
        }
        return null;
    }

    private static GuardSettings with(GuardSettings s, String word) {
        int equals = word.indexOf('=');
        if (equals < 0) {
            throw new IllegalArgumentException("'" + word + "' is no key=value");
        }
        String key = word.substring(0, equals).toLowerCase(Locale.ROOT);
        String value = word.substring(equals + 1);
        switch (key) {
            case "enabled":
                if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                    throw new IllegalArgumentException("enabled needs true or false");
                }
                return s.enabled(Boolean.parseBoolean(value));
            case "window.s":
                return new GuardSettings(s.enabled(), Duration.ofSeconds(whole(key, value, 1)), s.maxFailureRatio(),
                        s.minRequests(), s.promoteAfter(), s.watch());
            case "max.failure.ratio":
                return new GuardSettings(s.enabled(), s.window(), ratio(value), s.minRequests(), s.promoteAfter(),
                        s.watch());
            case "min.requests":
                return new GuardSettings(s.enabled(), s.window(), s.maxFailureRatio(), whole(key, value, 1),
                        s.promoteAfter(), s.watch());
            case "promote.after.s":
                return new GuardSettings(s.enabled(), s.window(), s.maxFailureRatio(), s.minRequests(),
                        Duration.ofSeconds(whole(key, value, 0)), s.watch());
            case "watch.s":
                return new GuardSettings(s.enabled(), s.window(), s.maxFailureRatio(), s.minRequests(),
                        s.promoteAfter(), Duration.ofSeconds(whole(key, value, 0)));
            default:
                throw new IllegalArgumentException("'" + key + "' is no guard setting");
        }
    }

    private static long whole(String key, String value, long min) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " needs a whole number of at least " + min);
        }
        if (n < min || n > 100_000_000L) {
            throw new IllegalArgumentException(key + " needs a whole number of at least " + min);
        }
        return n;
    }
}
