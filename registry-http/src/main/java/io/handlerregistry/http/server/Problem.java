package io.handlerregistry.http.server;

import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpStatus;

/**
 * An error answer as RFC 9457 {@code application/problem+json}: the status, its reason, what
 * happened and what to do (detail), the endpoint and the request id.
 *
 * @param status    the HTTP status
 * @param detail    for people: what happened, naming the endpoint, and what to do
 * @param endpoint  the endpoint, null where none was routed to
 * @param requestId the request's id
 */
record Problem(int status, String detail, String endpoint, String requestId) {
    static final String MEDIA_TYPE = "application/problem+json";

    byte[] json() {
        StringBuilder out = new StringBuilder(160 + detail.length());
        out.append("{\"type\":\"about:blank\",\"title\":");
        quote(out, HttpStatus.getMessage(status));
        out.append(",\"status\":").append(status).append(",\"detail\":");
        quote(out, detail);
        if (endpoint != null) {
            out.append(",\"endpoint\":");
            quote(out, endpoint);
        }
        out.append(",\"requestId\":");
        quote(out, requestId);
        return out.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
