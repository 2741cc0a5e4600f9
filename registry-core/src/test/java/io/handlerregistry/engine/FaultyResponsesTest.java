package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.RequestContext;

/**
 * A handler's bugs stay its own: a response that points into the registry's call memory beyond the
 * scratch buffer is refused (it would hand this caller another call's bytes, or crash the JVM), and
 * a handler that writes over its const request changes nothing for the next call on the thread.
 */
class FaultyResponsesTest {
    private static final String SECRET = "secret of another endpoint's caller ".repeat(4000);

    @TempDir
    Path copies;

    private NativeHandlerRegistry registry;

    @BeforeEach
    void start() {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).build();
        registry.load("faults");
        registry.load("echo");
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void aResponseReachingPastTheScratchBufferIsRefusedAndLeaksNothing() {
        // another endpoint's request leaves its bytes in this thread's call memory
        assertThat(call("echo", SECRET).body()).hasSize(SECRET.length());

        for (String fault : new String[] {"overread", "overread-16m", "before", "header-overread",
            "header-overread-in-buffer"}) {
            assertThatThrownBy(() -> call("faults", fault)).as(fault).isInstanceOf(HandlerException.class)
                    .hasMessageContaining("endpoint 'faults'")
                    .hasMessageContaining("reaches into the host's call memory outside resp->buffer")
                    .hasMessageNotContaining("secret");
        }
        // the registry and the other endpoint go on
        assertThat(text(call("echo", "still here"))).isEqualTo("still here");
    }

    @Test
    void theScratchBufferAndTheRequestItselfMayBePointedInto() {
        HandlerResponse scratch = call("faults", "scratch");
        assertThat(scratch.body()).hasSizeGreaterThanOrEqualTo(4096).containsOnly((byte) 's');

        HandlerResponse echoed = registry.execute("faults", RequestContext.create(),
                HandlerRequest.builder().path("/own/path").body("echo-request").build());
        assertThat(text(echoed)).isEqualTo("echo-request");
        assertThat(echoed.header("x-path")).hasValue("/own/path");
    }

    @Test
    void anErrorMessageIsCutNotDroppedAndOneOutsideTheBufferIsNotRead() {
        assertThatThrownBy(() -> call("faults", "long-error")).isInstanceOf(HandlerFailedException.class)
                .hasMessageContaining("eeeeeeeeee").hasMessageContaining("(4464 more bytes)");
        assertThatThrownBy(() -> call("faults", "error-overread")).isInstanceOf(HandlerFailedException.class)
                .hasMessageContaining("points into the host's call memory outside resp->buffer");
    }

    @Test
    void aStatusOutsideHttpsRangeIsRefused() {
        assertThat(call("faults", "status:599").status()).isEqualTo(599);
        assertThat(call("faults", "status:100").status()).isEqualTo(100);
        for (String status : new String[] {"-5", "1000", "0", "99"}) {
            assertThatThrownBy(() -> call("faults", "status:" + status)).isInstanceOf(HandlerException.class)
                    .hasMessageContaining("status " + status + ": an HTTP status is 100 to 599");
        }
    }

    @Test
    void memoryGrownForALargeRequestIsGivenBackAfterTheCall() {
        byte[] large = new byte[50 << 20];
        assertThat(registry.execute("echo", RequestContext.create(), HandlerRequest.builder().body(large).build())
                .body()).hasSize(large.length);
        assertThat(CallArena.current().capacity()).isLessThanOrEqualTo(1 << 20);
        assertThat(text(call("echo", "small again"))).isEqualTo("small again");
    }

    @Test
    void aHandlerWritingOverItsConstRequestChangesNothingForTheNextCall() {
        HandlerRequest request = HandlerRequest.builder().method("POST").path("/same/path")
                .header("A", "1").header("B", "2").body("scribble").build();
        assertThat(text(registry.execute("faults", RequestContext.create(), request))).isEqualTo("scribbled");

        // the same strings again (the registry keeps them encoded), to another endpoint, same thread
        HandlerResponse next = registry.execute("echo", RequestContext.create(), HandlerRequest.builder()
                .method("POST").path("/same/path").header("A", "1").header("B", "2").body("after").build());
        assertThat(next.header("x-method")).hasValue("POST");
        assertThat(next.header("x-path")).hasValue("/same/path");
        assertThat(next.headers()).filteredOn(h -> h.name().equals("A") || h.name().equals("B")).hasSize(2);
        assertThat(text(next)).isEqualTo("after");
    }

    private HandlerResponse call(String endpoint, String body) {
        return registry.execute(endpoint, RequestContext.create(), HandlerRequest.of(body));
    }

    private static String text(HandlerResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
