package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.handlerregistry.api.EncodedHeaders;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;

/**
 * Response headers are read in bulk and kept as bytes until asked for: a caller that passes only the
 * body on never pays for decoding them.
 */
class ResponseHeadersTest {

    @Test
    void encodedHeadersAreDecodedOnceWhenFirstAskedFor() {
        byte[] bytes = "x-anämevalue-üx-emptyb".getBytes(StandardCharsets.UTF_8);
        int[] lengths = {"x-anäme".getBytes(StandardCharsets.UTF_8).length, "value-ü".getBytes(StandardCharsets.UTF_8).length,
            "x-empty".length(), 0, 0, 1};
        HandlerResponse response = HandlerResponse.withEncodedHeaders(201, bytes, lengths, new byte[] {1});

        assertThat(response.headerCount()).isEqualTo(3);
        assertThat(response.toString()).isEqualTo("201 (3 headers, 1 bytes)");
        List<Header> headers = response.headers();
        assertThat(headers).containsExactly(new Header("x-anäme", "value-ü"), new Header("x-empty", ""),
                new Header("", "b"));
        assertThat(response.headers()).isSameAs(headers);
        assertThat(response.header("X-EMPTY")).hasValue("");
    }

    @Test
    void encodedHeadersAreTheHandlersBytesInACopyOfTheirOwn() {
        byte[] bytes = "x-anämevalue-üx-empty".getBytes(StandardCharsets.UTF_8);
        int[] lengths = {"x-anäme".getBytes(StandardCharsets.UTF_8).length, "value-ü".getBytes(StandardCharsets.UTF_8).length,
            "x-empty".length(), 0};
        HandlerResponse fromBytes = HandlerResponse.withEncodedHeaders(200, bytes, lengths, new byte[0]);
        HandlerResponse fromHeaders = new HandlerResponse(200,
                List.of(new Header("x-anäme", "value-ü"), new Header("x-empty", "")), new byte[0]);

        for (HandlerResponse response : List.of(fromBytes, fromHeaders)) {
            EncodedHeaders encoded = response.encodedHeaders();
            assertThat(encoded.count()).isEqualTo(2);
            assertThat(encoded.bytes()).isEqualTo(bytes).isNotSameAs(bytes);
            assertThat(encoded.lengths()).containsExactly(lengths).isNotSameAs(lengths);
            assertThat(encoded.decode()).isEqualTo(fromHeaders.headers());
            encoded.bytes()[0] = 'X';
            assertThat(response.encodedHeaders().bytes()[0]).isEqualTo((byte) 'x');
        }
        assertThat(fromBytes.headers()).isEqualTo(fromHeaders.headers());
    }

    @Test
    void lengthsThatDoNotAddUpAreRefused() {
        assertThatThrownBy(() -> HandlerResponse.withEncodedHeaders(200, new byte[3], new int[] {1, 1}, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adding up to 2 for 3 bytes");
        assertThatThrownBy(() -> HandlerResponse.withEncodedHeaders(200, new byte[1], new int[] {1}, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HandlerResponse.withEncodedHeaders(200, new byte[0], new int[] {2, -2}, new byte[0]))
                .hasMessageContaining("negative");
    }

    @Test
    void aHandlersHeadersInItsOwnMemoryTheScratchBufferAndTheRequestArriveWhole() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.create(TestLibraries.dir())) {
            registry.load("echo"); // names in its static memory, values in the scratch buffer and the request
            HandlerResponse response = registry.execute("echo", RequestContext.of(42),
                    HandlerRequest.builder().method("PUT").path("/p").header("X-In", "wert ö").build());

            assertThat(response.headerCount()).isEqualTo(7);
            assertThat(response.headers()).contains(new Header("x-endpoint", "echo"), new Header("x-request-id", "42"),
                    new Header("x-method", "PUT"), new Header("x-path", "/p"), new Header("X-In", "wert ö"));
        }
    }
}
