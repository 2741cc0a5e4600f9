package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.RequestContext;

/**
 * A response read inside the call: the body as a view of the handler's memory where the view can
 * be revoked (JDK 22+), a copy elsewhere; never readable once the handler may have freed it.
 */
class ResponseReaderTest {
    private static final boolean VIEWS = Runtime.version().feature() >= 22
            && !"jna".equalsIgnoreCase(System.getProperty("io.handlerregistry.calls", ""));

    private NativeHandlerRegistry registry;

    @BeforeEach
    void start() {
        registry = NativeHandlerRegistry.create(TestLibraries.dir());
        registry.load("echo");
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void theReaderGetsStatusHeadersAndTheBodyAndItsResultIsReturned() {
        String result = registry.execute("echo", RequestContext.of(7),
                HandlerRequest.builder().path("/p").body("hello reader").build(), (response, body) -> {
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.headers()).contains(new Header("x-request-id", "7"),
                            new Header("x-path", "/p"));
                    assertThat(body.isDirect()).isEqualTo(VIEWS);
                    if (VIEWS) {
                        assertThat(body.isReadOnly()).isTrue();
                        assertThatThrownBy(() -> body.put(0, (byte) 1)).isInstanceOf(ReadOnlyBufferException.class);
                    } else { // a copy made for this read: its array is the reader's
                        assertThat(body.hasArray()).isTrue();
                    }
                    return StandardCharsets.UTF_8.decode(body).toString();
                });

        assertThat(result).isEqualTo("hello reader");
    }

    @Test
    void aBodyInMemoryTheHandlerReleasesIsReadBeforeAndCannotBeReadAfter() {
        byte[] large = new byte[256 * 1024]; // larger than the scratch buffer: echo mallocs it, frees it in handler_release
        Arrays.fill(large, (byte) 'L');
        AtomicReference<ByteBuffer> kept = new AtomicReference<>();

        for (int i = 0; i < 20; i++) {
            byte[] read = registry.execute("echo", RequestContext.of(1), HandlerRequest.builder().body(large).build(),
                    (response, body) -> {
                        kept.set(body);
                        byte[] bytes = new byte[body.remaining()];
                        body.get(bytes);
                        return bytes;
                    });
            assertThat(read).isEqualTo(large);
        }

        ByteBuffer afterRelease = kept.get();
        if (VIEWS) {
            assertThatThrownBy(() -> afterRelease.get(0)).isInstanceOf(IllegalStateException.class);
        } else {
            assertThat(afterRelease.isDirect()).isFalse(); // a copy: still what it was
            assertThat(afterRelease.get(0)).isEqualTo((byte) 'L');
        }
    }

    @Test
    void aCopyMadeForTheReadIsTheReadersToKeep() {
        Assumptions.assumeFalse(VIEWS, "on JDK 22+ the body is a view of native memory, not a copy");
        ByteBuffer first = registry.execute("echo", RequestContext.of(1), HandlerRequest.builder().body("first").build(),
                (response, body) -> body);
        registry.execute("echo", RequestContext.of(2), HandlerRequest.builder().body("later").build()); // same memory

        assertThat(first.hasArray()).isTrue();
        assertThat(new String(first.array(), first.arrayOffset() + first.position(), first.remaining(),
                StandardCharsets.UTF_8)).isEqualTo("first");
    }

    @Test
    void aViewIsNotReadableFromAnotherThread() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        registry.execute("echo", RequestContext.of(1), HandlerRequest.builder().body("mine").build(),
                (response, body) -> {
                    Thread other = new Thread(() -> {
                        try {
                            body.get(0);
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    });
                    other.start();
                    try {
                        other.join();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                });

        if (VIEWS) {
            assertThat(failure.get()).isNotNull().isInstanceOf(RuntimeException.class); // WrongThreadException (JDK 19+)
        } else {
            assertThat(failure.get()).isNull();
        }
    }

    @Test
    void theReaderMayCallTheRegistryAgainAndItsOwnResponseStaysAsItIs() {
        registry.load("greeting");
        String outer = registry.execute("echo", RequestContext.of(1), HandlerRequest.builder().body("outer body").build(),
                (response, body) -> {
                    // nested calls on this thread, to the same endpoint and another, with reader and without
                    String inner = registry.execute("echo", RequestContext.of(2),
                            HandlerRequest.builder().body("inner body, longer than the outer one").build(),
                            (r, b) -> StandardCharsets.UTF_8.decode(b).toString());
                    assertThat(inner).isEqualTo("inner body, longer than the outer one");
                    assertThat(registry.execute("greeting", RequestContext.of(3), HandlerRequest.builder().build())
                            .status()).isEqualTo(200);
                    assertThat(response.header("x-request-id")).hasValue("1");
                    return StandardCharsets.UTF_8.decode(body).toString();
                });

        assertThat(outer).isEqualTo("outer body");
        // and this thread's calls go on as before
        assertThat(registry.execute("echo", RequestContext.of(4), HandlerRequest.builder().body("after").build())
                .bodyAsString()).isEqualTo("after");
    }

    @Test
    void aJavaHandlersResponseIsReadFromItsOwnArray() {
        registry.swap("java", (context, request) -> new HandlerResponse(201, List.of(), request.body()), "a Java handler",
                "1.0");

        ByteBuffer[] seen = new ByteBuffer[1];
        int status = registry.execute("java", RequestContext.of(1), HandlerRequest.builder().body("java").build(),
                (response, body) -> {
                    seen[0] = body;
                    return response.status();
                });

        assertThat(status).isEqualTo(201);
        assertThat(seen[0].isReadOnly()).isTrue();
        assertThat(StandardCharsets.UTF_8.decode(seen[0]).toString()).isEqualTo("java"); // not a view: still readable
    }

    @Test
    void anExceptionOfTheReaderReachesTheCallerAndIsNotTheHandlersFailure() {
        IllegalArgumentException thrown = new IllegalArgumentException("the reader's own");

        assertThatThrownBy(() -> registry.execute("echo", RequestContext.of(1), HandlerRequest.builder().build(),
                (response, body) -> {
                    throw thrown;
                })).isSameAs(thrown);

        assertThat(registry.handler("echo").orElseThrow().failedCalls()).isZero();
        assertThat(registry.handler("echo").orElseThrow().activeRequests()).isZero();
        assertThat(registry.execute("echo", RequestContext.of(2), HandlerRequest.builder().body("ok").build())
                .bodyAsString()).isEqualTo("ok");
    }

    @Test
    void aFailingHandlerFailsAsWithExecuteAndTheReaderIsNotCalled() {
        AtomicReference<HandlerResponse> called = new AtomicReference<>();

        assertThatThrownBy(() -> registry.execute("echo", RequestContext.of(1),
                HandlerRequest.builder().path("/fail").build(), (response, body) -> {
                    called.set(response);
                    return null;
                })).isInstanceOf(HandlerFailedException.class).hasMessageContaining("echo was asked to fail");

        assertThat(called.get()).isNull();
        assertThat(registry.handler("echo").orElseThrow().failedCalls()).isEqualTo(1);
    }
}
