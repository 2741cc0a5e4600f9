package io.handlerregistry.http.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.handlerregistry.api.Header;

/** What the front takes from a handler's headers: HTTP tokens as names, no line breaks, not its own headers. */
class ExchangeTest {
    @Test
    void aHeaderNameIsAnHttpTokenAndNothingElse() {
        String separators = "\"(),/:;<=>?@[\\]{}";
        for (char c = 0; c < 300; c++) {
            boolean token = c > ' ' && c < 127 && separators.indexOf(c) < 0; // RFC 9110 5.6.2
            String invalid = Failures.invalidHeader(List.of(new Header("x" + c + "y", "v")));
            assertThat(invalid).as("character %d in a header name", (int) c)
                    .isEqualTo(token ? null : "the header name 'x" + c + "y', which is not an HTTP token");
        }
        assertThat(Failures.invalidHeader(List.of(new Header("", "v")))).isEqualTo("a header with an empty name");
        assertThat(Failures.invalidHeader(List.of(new Header("Content-Type", "text/plain; charset=utf-8"),
                new Header("x-A_b.c~1!#$%&'*+^`|", "")))).isNull();
    }

    @Test
    void aHeaderValueHasNoLineBreakOrNul() {
        for (String value : List.of("a\rb", "a\nb", "a\0b")) {
            assertThat(Failures.invalidHeader(List.of(new Header("x-ok", "fine"), new Header("x-bad", value))))
                    .isEqualTo("a line break or NUL in the value of header 'x-bad'");
        }
        assertThat(Failures.invalidHeader(List.of(new Header("x-tab", "a\tb c\u00e9")))).isNull();
    }

    @Test
    void theFrontsOwnHeadersAreKnownInAnyCase() {
        for (String own : List.of("Content-Length", "TRANSFER-ENCODING", "connection", "Keep-Alive", "Proxy-Connection",
                "Upgrade", "TE", "Trailer", "X-Request-Id")) {
            assertThat(Exchange.isFrontHeader(own)).as(own).isTrue();
        }
        for (String other : List.of("x-endpoint", "Content-Type", "Host", "t", "tee", "x-request-ids", "Trailers", "")) {
            assertThat(Exchange.isFrontHeader(other)).as(other).isFalse();
        }
    }
}
