package io.handlerregistry.osgi;

import java.util.LinkedHashMap;
import java.util.Map;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.HandlerRegistry;

/**
 * The setting {@code splits} of the registry's configuration: the canary splits it asks for, as
 * {@code endpoint=canary:percent} separated by commas, where the canary is a version the endpoint's history
 * keeps (its number or version, as for {@code handler:split}) or a library file (an absolute path, or one
 * relative to the working directory), e.g. {@code greeting=2.0.0:20, echo=/opt/lib/libhandler_echo.so:5}.
 */
final class SplitSettings {
    /** What one entry asks for: the canary as written, and its percent. */
    record Split(String canary, double percent) {
        /** How the entry is written, to tell a changed entry from the one applied before. */
        String text() {
            return canary + ":" + CanarySplit.format(percent);
        }
    }

    private SplitSettings() {
    }

    /** The entries by endpoint (checked before by {@link #problem(String)}). */
    static Map<String, Split> parse(String text) {
        Map<String, Split> result = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            if (!entry.isBlank()) {
                int equals = entry.indexOf('=');
                String value = entry.substring(equals + 1).strip();
                int colon = value.lastIndexOf(':');
                result.put(entry.substring(0, equals).strip(), new Split(value.substring(0, colon).strip(),
                        Double.parseDouble(value.substring(colon + 1).strip())));
            }
        }
        return result;
    }

    /** Null if the text parses whole, else what is wrong and what is wanted. */
    static String problem(String text) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                int equals = entry.indexOf('=');
                if (equals < 0) {
                    throw new IllegalArgumentException("no =canary:percent after the endpoint");
                }
                String id = entry.substring(0, equals).strip();
                HandlerRegistry.checkEndpointId(id);
                if (!seen.add(id)) {
                    throw new IllegalArgumentException("endpoint '" + id + "' is named twice");
                }
                String value = entry.substring(equals + 1).strip();
                int colon = value.lastIndexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("no :percent after the canary");
                }
                double percent;
                try {
                    percent = Double.parseDouble(value.substring(colon + 1).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + value.substring(colon + 1).strip() + "' is no percent");
                }
                long hundredths = Math.round(percent * 100);
                if (Double.isNaN(percent) || hundredths < 1 || hundredths > 9_999
                        || Math.abs(percent * 100 - hundredths) > 1e-6) {
                    throw new IllegalArgumentException("the percent must be more than 0 and less than 100, to 0.01");
                }
            } catch (RuntimeException e) {
                return "'" + entry.strip() + "' is wrong (" + e.getMessage() + "); write endpoint=canary:percent,"
                        + " separated by commas, where the canary is a kept version (its number or version, see"
                        + " handler:history) or a library file, e.g. greeting=2.0.0:20";
            }
        }
        return null;
    }
}
