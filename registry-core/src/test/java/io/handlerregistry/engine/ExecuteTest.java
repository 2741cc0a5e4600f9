package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.EndpointNotFoundException;
import io.handlerregistry.api.HandlerFailedException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;
import io.handlerregistry.api.InvalidEndpointIdException;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.RequestContext;

/** Calls through the registry into real gcc-built handlers. */
class ExecuteTest {
    @TempDir
    Path copies;

    private NativeHandlerRegistry registry;

    @BeforeEach
    void start() {
        registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies).build();
        registry.load("echo");
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void passesMethodPathHeadersAndABinaryBodyAndReturnsTheResponse() {
        byte[] body = {0, 1, 2, (byte) 0xff, 0, 'x'};
        HandlerRequest request = HandlerRequest.builder().method("PUT").path("/items/7").query("a=1&b=2")
                .header("Content-Type", "application/octet-stream").header("X-Dup", "1").header("X-Dup", "2")
                .header("X-Unicode", "größe ✓").body(body).build();

        HandlerResponse response = registry.execute("echo", RequestContext.of(1234), request);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).containsExactly(body);
        assertThat(response.header("x-endpoint")).hasValue("echo");
        assertThat(response.header("x-request-id")).hasValue("1234");
        assertThat(response.header("x-method")).hasValue("PUT");
        assertThat(response.header("x-deadline")).hasValue("0");
        assertThat(response.headers()).containsSubsequence(new Header("Content-Type", "application/octet-stream"),
                new Header("X-Dup", "1"), new Header("X-Dup", "2"), new Header("X-Unicode", "größe ✓"));
    }

    @Test
    void bodiesLargerThanTheScratchBufferComeBackThroughHandlerRelease() {
        byte[] body = new byte[1 << 20];
        new Random(7).nextBytes(body);
        for (int i = 0; i < 50; i++) { // repeated: the arena grows once, releases never double-free
            HandlerResponse response = registry.execute("echo", RequestContext.create(), HandlerRequest.of(body));
            assertThat(response.body()).isEqualTo(body);
        }
        HandlerResponse small = registry.execute("echo", RequestContext.create(), HandlerRequest.of("small"));
        assertThat(small.bodyAsString()).isEqualTo("small");
    }

    @Test
    void consecutiveCallsOnOneThreadEachSeeTheirOwnRequest() {
        // the per-thread call memory keeps what did not change since the last call: vary every part
        registry.loadFrom("other", TestLibraries.dir().resolve(HandlerRegistry.libraryFileName("echo")));
        String longPath = "/" + "p".repeat(2000); // larger than the path's fixed region
        String[][] calls = {
            {"echo", "GET", "/a", "", "0"}, {"echo", "GET", "/a", "", "0"}, {"echo", "GET", new String("/a"), "", "1"},
            {"other", "GET", "/a", "", "2"},
            {"echo", new String("GET"), "/b", "q=1", "1"}, {"echo", "POST", longPath, "q=2", "0"},
            {"other", "POST", new String(longPath), "q=2", "3"}, {"echo", "DELETE", "/c", "", "0"},
            {"echo", "GET", "/a", "", "big"}, {"other", "GET", "/a", "", "1"}, {"echo", "GET", "/a", "", "0"},
        };
        for (String[] call : calls) {
            boolean big = call[4].equals("big");
            HandlerRequest.Builder builder = HandlerRequest.builder().method(call[1]).path(call[2]).query(call[3])
                    .body(big ? new byte[1 << 20] : call[2].getBytes(StandardCharsets.UTF_8));
            int headers = big ? 0 : Integer.parseInt(call[4]);
            for (int i = 0; i < headers; i++) {
                builder.header("h" + i, "v" + i);
            }
            HandlerResponse response = registry.execute(call[0], RequestContext.of(7), builder.build());

            assertThat(response.header("x-endpoint")).as("endpoint of %s", (Object) call).hasValue(call[0]);
            assertThat(response.header("x-method")).as("method of %s", (Object) call).hasValue(call[1]);
            assertThat(response.header("x-path")).as("path of %s", (Object) call).hasValue(call[2]);
            assertThat(response.header("x-query")).as("query of %s", (Object) call).hasValue(call[3]);
            assertThat(response.headers()).as("headers of %s", (Object) call).hasSize(6 + headers);
            assertThat(response.body()).hasSize(big ? 1 << 20 : call[2].length());
        }
    }

    @Test
    void emptyRequestAndEmptyBody() {
        HandlerResponse response = registry.execute("echo", RequestContext.create(), HandlerRequest.builder().build());
        assertThat(response.body()).isEmpty();
        assertThat(response.header("x-method")).hasValue("GET");
    }

    @Test
    void theHandlerSeesTheDeadline() {
        Instant deadline = Instant.parse("2030-01-02T03:04:05.123456789Z");
        HandlerResponse response = registry.execute("echo", RequestContext.of(1).withDeadline(deadline),
                HandlerRequest.of("x"));
        assertThat(response.header("x-deadline")).hasValue("1893553445123456789");

        HandlerResponse bounded = registry.executeWithTimeout("echo", RequestContext.of(2), HandlerRequest.of("x"),
                Duration.ofSeconds(30));
        long seen = Long.parseLong(bounded.header("x-deadline").orElseThrow());
        long now = Instant.now().getEpochSecond() * 1_000_000_000L;
        assertThat(seen).isBetween(now, now + 31_000_000_000L);
    }

    @Test
    void aHandlerErrorCodeReachesTheCallerWithItsMessage() {
        HandlerRequest fail = HandlerRequest.builder().path("/fail").build();
        assertThatThrownBy(() -> registry.execute("echo", RequestContext.create(), fail))
                .isInstanceOfSatisfying(HandlerFailedException.class, e -> {
                    assertThat(e.code()).isEqualTo(42);
                    assertThat(e.handlerMessage()).isEqualTo("echo was asked to fail (path /fail)");
                    assertThat(e.endpointId()).isEqualTo("echo");
                    assertThat(e).hasMessageContaining("'echo'").hasMessageContaining("code 42");
                });
        assertThat(registry.handler("echo").orElseThrow().failedCalls()).isEqualTo(1);
        assertThat(registry.execute("echo", RequestContext.create(), HandlerRequest.of("ok")).bodyAsString())
                .isEqualTo("ok");
    }

    @Test
    void asyncCallsAndManyThreadsGetTheirOwnAnswers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        String body = "thread " + thread + " call " + i;
                        HandlerResponse r = registry.execute("echo", RequestContext.of(i), HandlerRequest.of(body));
                        if (!r.bodyAsString().equals(body) || !r.header("x-request-id").orElseThrow().equals("" + i)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(registry.executeAsync("echo", RequestContext.create(), HandlerRequest.of("async")).get()
                .body()).isEqualTo("async".getBytes(StandardCharsets.UTF_8));
        assertThat(registry.handler("echo").orElseThrow().totalCalls()).isEqualTo(16_001);
    }

    @Test
    void unknownEndpointsAndInvalidIdsAreRefused() {
        assertThatThrownBy(() -> registry.execute("nope", RequestContext.create(), HandlerRequest.of("")))
                .isInstanceOf(EndpointNotFoundException.class).hasMessageContaining("'nope'");
        assertThat(registry.executeAsync("nope", RequestContext.create(), HandlerRequest.of("")))
                .isCompletedExceptionally();
        for (String bad : new String[] {"../x", "", "a/b", "a\\b", "-lead", "x".repeat(65), "dot.ted", "nul\0"}) {
            assertThatThrownBy(() -> registry.execute(bad, RequestContext.create(), HandlerRequest.of("")))
                    .isInstanceOf(InvalidEndpointIdException.class);
            assertThatThrownBy(() -> registry.load(bad)).isInstanceOf(InvalidEndpointIdException.class);
        }
        assertThatThrownBy(() -> registry.load(null)).isInstanceOf(InvalidEndpointIdException.class);
        assertThat(registry.endpoints()).containsExactly("echo");
    }

    @Test
    void aNullIdIsAnInvalidIdForEveryMethodThatTakesOne() {
        Path echo = TestLibraries.library("echo");
        Duration drain = Duration.ofSeconds(1);
        List<ThrowingCallable> calls = List.of(
                () -> registry.load(null),
                () -> registry.loadFrom(null, echo),
                () -> registry.loadFrom(null, echo, Isolation.IN_PROCESS),
                () -> registry.loadFrom(null, echo, Isolation.PROCESS),
                () -> registry.swap(null, echo),
                () -> registry.swap(null, echo, Isolation.IN_PROCESS),
                () -> registry.swapGraceful(null, echo, drain),
                () -> registry.swapGraceful(null, echo, drain, Isolation.PROCESS),
                () -> registry.unload(null),
                () -> registry.execute(null, RequestContext.create(), HandlerRequest.of("")),
                () -> registry.executeWithTimeout(null, RequestContext.create(), HandlerRequest.of(""), drain),
                () -> registry.executeAsync(null, RequestContext.create(), HandlerRequest.of("")).join(),
                () -> registry.isolationOf(null));
        for (ThrowingCallable call : calls) {
            assertThatThrownBy(call).isInstanceOfAny(InvalidEndpointIdException.class, CompletionException.class)
                    .satisfies(e -> assertThat(e instanceof CompletionException ? e.getCause() : e)
                            .isInstanceOf(InvalidEndpointIdException.class));
        }
        assertThat(registry.isLoaded(null)).isFalse();
        assertThat(registry.handler(null)).isEmpty();
        assertThat(registry.configuredIsolation(null)).isEmpty();
        assertThat(registry.endpoints()).containsExactly("echo");
    }

    @Test
    void timeoutsAndDeadlinesBeyondWhatALongHoldsMeanNoLimitNotAnArithmeticException() {
        HandlerResponse response = registry.executeWithTimeout("echo", RequestContext.create(),
                HandlerRequest.of("forever"), Duration.ofMillis(Long.MAX_VALUE));
        assertThat(response.header("x-deadline")).hasValue(String.valueOf(Long.MAX_VALUE));
        assertThat(registry.execute("echo", RequestContext.create().withDeadline(Instant.MAX), HandlerRequest.of("x"))
                .header("x-deadline")).hasValue(String.valueOf(Long.MAX_VALUE));
        assertThat(RequestContext.create().withDeadline(Instant.EPOCH.minusSeconds(5)).deadlineUnixNanos()).isOne();
    }

    @Test
    void executeAsyncOnAnExecutorThatRefusesReturnsAFailedFutureThatSaysSo() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (NativeHandlerRegistry own = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .callExecutor(executor).build()) {
            own.load("echo");
            executor.shutdown();
            assertThat(own.executeAsync("echo", RequestContext.create(), HandlerRequest.of("x")))
                    .failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause().isInstanceOf(io.handlerregistry.api.HandlerException.class)
                    .withMessageContaining("the call to endpoint 'echo' was not started")
                    .withMessageContaining("the call executor refused it");
        }
    }
}
