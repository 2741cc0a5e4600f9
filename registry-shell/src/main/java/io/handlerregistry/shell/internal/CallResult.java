package io.handlerregistry.shell.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;

/**
 * The answer of {@code handler:call}: status, headers and body (as text when it is UTF-8). Its
 * accessors are not bean getters, so that Gogo prints it with {@link #toString()}.
 */
public final class CallResult {
    private static final int MAX_SHOWN_BYTES = 64 * 1024;

    private final String endpoint;
    private final HandlerResponse response;
    private final long nanos;

    CallResult(String endpoint, HandlerResponse response, long nanos) {
        this.endpoint = endpoint;
        this.response = response;
        this.nanos = nanos;
    }

    public int status() {
        return response.status();
    }

    public List<Header> headers() {
        return response.headers();
    }

    public byte[] body() {
        return response.body();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        out.append("status ").append(response.status()).append(" from endpoint '").append(endpoint).append("' in ")
                .append(Units.nanos(nanos)).append('\n');
        for (Header h : response.headers()) {
            out.append(h.name()).append(": ").append(h.value()).append('\n');
        }
        out.append('\n').append(body(response.body()));
        return out.toString();
    }

    private static String body(byte[] body) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body, 0, Math.min(body.length, MAX_SHOWN_BYTES))).toString();
            if (text.chars().noneMatch(c -> c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
                return text + (body.length > MAX_SHOWN_BYTES ? "\n... (" + body.length + " bytes in all)" : "");
            }
        } catch (CharacterCodingException binary) {
            // shown as hex below
        }
        StringBuilder hex = new StringBuilder("(" + body.length + " bytes, binary) ");
        for (int i = 0; i < Math.min(body.length, 64); i++) {
            hex.append(String.format("%02x", body[i] & 0xff));
        }
        return hex.append(body.length > 64 ? "..." : "").toString();
    }
}
