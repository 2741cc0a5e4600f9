package io.handlerregistry.http.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.engine.NativeHandlerRegistry;
import io.handlerregistry.http.api.HttpFront.EndpointCounters;

/**
 * The HTTP front on a real registry and real handlers, with a real client (java.net.http): mapping
 * of requests and responses byte for byte, every error status as problem+json, h2c, routes and
 * settings changed while it serves.
 */
class HttpFrontTest {
    @TempDir
    Path copies;
    @TempDir
    Path work;

    private NativeHandlerRegistry registry;
    private HttpServer server;
    private final List<String> complaints = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws Exception {
        registry = NativeHandlerRegistry.builder(Natives.DIR).copyDirectory(copies).build();
        registry.loadFrom("echo", Natives.library("echo"));
        registry.loadFrom("slow", Natives.library("slow"));
        server = start(Map.of());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        registry.close();
    }

    private HttpServer start(Map<String, ?> config) throws Exception {
        Map<String, Object> all = new java.util.HashMap<>(Map.of("port", 0, "shutdown.timeout.ms", 5_000));
        all.putAll(config);
        HttpSettings settings = HttpSettings.DEFAULTS.with(all, HttpSettings.DEFAULTS, complaints::add);
        HttpServer s = new HttpServer(registry, settings, complaints::add);
        s.start();
        return s;
    }

    @Test
    void aRequestReachesTheEndpointWithMethodPathQueryHeadersInOrderAndBody() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/echo/hello/world?b=2&a=1"))
                .header("x-one", "1").header("x-rep", "first").header("x-rep", "second").header("x-request-id", "abc-42")
                .method("PUT", HttpRequest.BodyPublishers.ofString("the body")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("the body");
        assertThat(r.headers().firstValue("x-endpoint")).hasValue("echo");
        assertThat(r.headers().firstValue("x-method")).hasValue("PUT");
        assertThat(r.headers().firstValue("x-path")).hasValue("/hello/world");
        assertThat(r.headers().firstValue("x-query")).hasValue("b=2&a=1");
        assertThat(r.headers().firstValue("x-one")).hasValue("1");
        assertThat(r.headers().allValues("x-rep")).containsExactly("first", "second");
        assertThat(r.headers().allValues("x-request-id")).containsExactly("abc-42"); // the front's, not echo's number
        assertThat(r.headers().firstValue("x-deadline")).isPresent().get().isNotEqualTo("0"); // request.timeout.ms
        assertThat(r.headers().firstValue("content-length")).hasValue("8");
    }

    @Test
    void everyAnswerIsCountedPerEndpointByStatusWithItsLatencyAndUnknownIdsAreNot() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(get("/echo/x").statusCode()).isEqualTo(200);
        }
        assertThat(get("/echo/fail").statusCode()).isEqualTo(502);
        assertThat(get("/nobody/x").statusCode()).isEqualTo(404);
        assertThat(get("/slow/x").statusCode()).isEqualTo(200);

        Map<String, io.handlerregistry.http.api.HttpFront.EndpointCounters> counts = server.endpointCounters();
        assertThat(counts).containsOnlyKeys("echo", "slow");
        assertThat(counts.get("echo").statuses()).isEqualTo(Map.of(200, 3L, 502, 1L));
        assertThat(counts.get("echo").latencies().count()).isEqualTo(4);
        assertThat(counts.get("echo").latencies().sampling()).isEqualTo(1);
        assertThat(counts.get("slow").statuses()).isEqualTo(Map.of(200, 1L));
        assertThat(server.counters().statuses()).containsEntry(404, 1L);
    }

    @Test
    void answersAreCountedPerVersionThatTookTheRequestAndAnUnloadedVersionGoesWithItsOwn() throws Exception {
        server.stop();
        server = start(Map.of("request.timeout.ms", 300, "max.request.body.bytes", 1024));
        registry.loadFrom("greeting", Natives.version("v1", "greeting"));
        long v1 = registry.handler("greeting").orElseThrow().generation();
        CanarySplit split = registry.split("greeting", Natives.version("v2", "greeting"), 50);
        long v2 = split.canary().generation();
        Map<String, Long> byBody = new java.util.HashMap<>();
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = get("/greeting/x");
            assertThat(r.statusCode()).isEqualTo(200);
            byBody.merge(r.body().substring(0, 2), 1L, Long::sum);
        }
        Map<Long, EndpointCounters> greeting = server.versionCounters().get("greeting");
        assertThat(greeting).containsOnlyKeys(v1, v2);
        assertThat(greeting.get(v1).statuses()).isEqualTo(Map.of(200, byBody.get("v1")));
        assertThat(greeting.get(v2).statuses()).isEqualTo(Map.of(200, byBody.get("v2")));
        assertThat(greeting.get(v2).latencies().count()).isEqualTo(byBody.get("v2"));

        // a 504 counts for the version the request is still inside; a 413 for none (generation 0)
        long slow = registry.handler("slow").orElseThrow().generation();
        Path gate = work.resolve("gate");
        assertThat(client.send(HttpRequest.newBuilder(uri("/slow/x")).POST(HttpRequest.BodyPublishers.ofString(
                "wait:" + gate)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(504);
        Files.writeString(gate, "open");
        assertThat(client.send(HttpRequest.newBuilder(uri("/slow/x")).POST(HttpRequest.BodyPublishers.ofByteArray(
                new byte[2048])).build(), HttpResponse.BodyHandlers
                        .ofString()).statusCode()).isEqualTo(413);
        assertThat(server.versionCounters().get("slow")).containsOnlyKeys(0L, slow);
        assertThat(server.versionCounters().get("slow").get(slow).statuses()).isEqualTo(Map.of(504, 1L));
        assertThat(server.versionCounters().get("slow").get(0L).statuses()).isEqualTo(Map.of(413, 1L));

        // promote: v1 drains and goes; once v2 and a newer version answered, v1's counts are in the total only
        registry.promote("greeting");
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.handlers().stream()
                .noneMatch(h -> h.generation() == v1));
        registry.swapGraceful("greeting", Natives.version("v1", "greeting"), Duration.ofSeconds(10));
        long v3 = registry.handler("greeting").orElseThrow().generation();
        assertThat(get("/greeting/x").body()).startsWith("v1");
        assertThat(server.versionCounters().get("greeting")).containsOnlyKeys(v3);
        assertThat(server.endpointCounters().get("greeting").statuses()).isEqualTo(Map.of(200, 101L));
    }

    @Test
    void aRequestWithoutAnIdGetsOneAndTheHandlerSeesTheSameNumber() throws Exception {
        HttpResponse<String> r = get("/echo/");
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertThat(id).matches("\\d+");
        assertThat(r.headers().firstValue("x-path")).hasValue("/");
        assertThat(get("/echo").headers().firstValue("x-path")).hasValue("/");
    }

    @Test
    void bodiesGoThroughByteForByteUpToTheLimitAndOneByteMoreIs413() throws Exception {
        server.stop();
        server = start(Map.of("max.request.body.bytes", 200_000));
        Random random = new Random(7);
        for (int size : new int[] {0, 1, 65_536, 200_000}) {
            byte[] body = new byte[size];
            random.nextBytes(body);
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/echo/bytes"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as("%d bytes", size).isEqualTo(200);
            assertThat(r.body()).as("%d bytes", size).isEqualTo(body);
        }
        HttpResponse<String> tooLarge = client.send(HttpRequest.newBuilder(uri("/echo/bytes"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[200_001])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertProblem(tooLarge, 413, "larger than 200000 bytes", "max.request.body.bytes");
        // chunked (no length): the same limit while reading
        HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(uri("/echo/bytes"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[300_000])))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(chunked, 413, "larger than 200000 bytes");
        assertThat(get("/echo/after").statusCode()).isEqualTo(200);
    }

    /**
     * A body without a length (HTTP/1.1 chunked, an HTTP/2 stream without content-length) arrives in
     * pieces of the client's choosing and is put together byte for byte, up to the limit; a body cut
     * short of its Content-Length is 400.
     */
    @Test
    void bodiesWithoutALengthArriveWholeAndABodyCutShortIs400() throws Exception {
        server.stop();
        server = start(Map.of("max.request.body.bytes", 200_000));
        Random random = new Random(11);
        // a client's first request, with a body without a length, asking to upgrade to h2c: answered over HTTP/1.1
        // (Jetty would switch before reading the body and cancel the stream)
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        byte[] first = new byte[5_000];
        random.nextBytes(first);
        HttpResponse<byte[]> notUpgraded = h2.send(HttpRequest.newBuilder(uri("/echo/first"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(first))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(notUpgraded.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(notUpgraded.body()).isEqualTo(first);
        h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        assertThat(h2.send(HttpRequest.newBuilder(uri("/echo/upgrade")).build(), HttpResponse.BodyHandlers.discarding())
                .version()).isEqualTo(HttpClient.Version.HTTP_2);
        for (HttpClient c : List.of(client, h2)) {
            for (int size : new int[] {0, 1, 8_193, 150_000, 200_000}) {
                byte[] body = new byte[size];
                random.nextBytes(body);
                HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(uri("/echo/pieces"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as("%s, %d bytes", r.version(), size).isEqualTo(200);
                assertThat(r.version()).isEqualTo(c.version());
                assertThat(r.body()).as("%s, %d bytes", r.version(), size).isEqualTo(body);
            }
        }
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /echo/short HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n"
                    + "hello").getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput(); // 5 of its 10 bytes, then the end of what the client sends
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 400 ");
        }
        assertThat(get("/echo/after").statusCode()).isEqualTo(200);
    }

    /** A client that asks first (Expect: 100-continue) for a body over the limit is told 413 before it sends it. */
    @Test
    void aBodyOverTheLimitAnnouncedWithExpectContinueIs413WithoutAskingForIt() throws Exception {
        server.stop();
        server = start(Map.of("max.request.body.bytes", 200_000));
        String answer = rawExchange("POST /echo/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n"
                + "Expect: 100-continue\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 413 ").doesNotContain("100 Continue")
                .contains("larger than 200000 bytes");
        assertThat(get("/echo/after").statusCode()).isEqualTo(200);
    }

    /**
     * A handler's call ends before its answer is written: an answer still being sent (to a client that
     * reads slowly) when the front stops arrives whole before the connection closes.
     */
    @Test
    void aStopWaitsForAnAnswerStillBeingSentBeforeItClosesTheConnection() throws Exception {
        server.stop();
        server = start(Map.of("max.request.body.bytes", 16 << 20));
        byte[] body = new byte[16 << 20]; // more than the kernel's send buffer holds (4 MiB at most here)
        new Random(3).nextBytes(body);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4_096); // the answer cannot go out at once
            socket.setSoTimeout(30_000);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            OutputStream out = socket.getOutputStream();
            out.write(("POST /echo/bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> server.counters().requests() == 1); // being sent
            HttpServer stopping = server;
            server = null;
            int port = stopping.port();
            Thread stopper = new Thread(stopping::stop, "stopping the front");
            stopper.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> refused(port)); // the stop is past accepting

            byte[] answer = socket.getInputStream().readAllBytes();
            int headersEnd = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(headersEnd).as("end of the answer's headers").isPositive();
            assertThat(new String(answer, 0, headersEnd, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ");
            assertThat(java.util.Arrays.copyOfRange(answer, headersEnd + 4, answer.length)).isEqualTo(body);
            stopper.join(30_000);
            assertThat(stopper.isAlive()).isFalse();
        }
    }

    private static boolean refused(int port) {
        try (Socket probe = new Socket("127.0.0.1", port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= data.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void everyErrorIsProblemJsonNamingTheEndpointAndTheRequestId() throws Exception {
        assertProblem(get("/nosuch/x"), 404, "no handler is loaded for endpoint 'nosuch'");
        assertThat(get("/nosuch/x").body()).contains("\"endpoint\":\"nosuch\"");
        assertProblem(get("/"), 404, "no route for /");
        assertProblem(get("/bad.id/x"), 404, "'bad.id' in the path is no endpoint id");
        assertProblem(get("/echo/fail"), 502, "endpoint 'echo' failed with code 42", "echo was asked to fail");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/nosuch/x")).header("x-request-id", "trace-7")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).contains("\"requestId\":\"trace-7\"");
        assertThat(r.headers().firstValue("x-request-id")).hasValue("trace-7");
    }

    @Test
    void aCrashInProcessIsolationIs502AndTheNextCallIsServed() throws Exception {
        registry.loadFrom("crashy", Natives.library("crashy"), Isolation.PROCESS);
        HttpResponse<String> crashed = client.send(HttpRequest.newBuilder(uri("/crashy/x"))
                .POST(HttpRequest.BodyPublishers.ofString("segv")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(crashed, 502, "crashy", "SIGSEGV");
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/crashy/x").statusCode() == 200);
    }

    @Test
    void aHandlerPastTheRequestTimeoutIs504AndItsThreadComesBack() throws Exception {
        server.stop();
        server = start(Map.of("request.timeout.ms", 300));
        Path gate = work.resolve("gate");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/slow/x"))
                .POST(HttpRequest.BodyPublishers.ofString("wait:" + gate)).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(r, 504, "endpoint 'slow' did not answer within 300 ms", "request.timeout.ms");
        assertThat(server.counters().inFlight()).isEqualTo(1); // still inside the handler
        Files.writeString(gate, "open");
        await().atMost(Duration.ofSeconds(30)).until(() -> server.counters().inFlight() == 0);
        assertThat(get("/echo/x").statusCode()).isEqualTo(200);
    }

    @Test
    void overloadIs503WithRetryAfterAtOnceAndAHungEndpointTakesOnlyItsShare() throws Exception {
        server.stop();
        server = start(Map.of("max.concurrent.requests", 4, "request.timeout.ms", 0));
        Path gate = work.resolve("gate");
        List<CompletableFuture<HttpResponse<String>>> hung = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            hung.add(client.sendAsync(HttpRequest.newBuilder(uri("/slow/x"))
                    .POST(HttpRequest.BodyPublishers.ofString("wait:" + gate)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.counters().inFlight() == 2);
        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(uri("/slow/x"))
                .POST(HttpRequest.BodyPublishers.ofString("sleep:0")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(refused, 503, "endpoint 'slow' has 2 requests in flight already", "max.concurrent.requests");
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        for (int i = 0; i < 10; i++) {
            assertThat(get("/echo/x").statusCode()).isEqualTo(200); // the other endpoints keep theirs
        }
        Files.writeString(gate, "open");
        for (CompletableFuture<HttpResponse<String>> call : hung) {
            assertThat(call.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void headersOverTheLimitAre431AndMalformedRequestsAre400AsProblemJson() throws Exception {
        server.stop();
        server = start(Map.of("max.request.header.bytes", 1024));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/echo/x")).header("x-big", "y".repeat(2_000))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(r, 431, "larger than 1024 bytes", "max.request.header.bytes");

        String raw = rawExchange("GARBAGE\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").contains("application/problem+json").contains("\"status\":400")
                .doesNotContain("<html").doesNotContain("Exception");
        // answered by Jetty itself, before a request existed: counted all the same (handler:http showed no 431)
        assertThat(server.counters().statuses()).containsEntry(431, 1L).containsEntry(400, 1L);

        // over h2c too (curl saw GOAWAY and no answer): a 431, and the connection serves on
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        assertThat(h2.send(HttpRequest.newBuilder(uri("/echo/up")).build(), HttpResponse.BodyHandlers.ofString())
                .version()).isEqualTo(HttpClient.Version.HTTP_2);
        HttpResponse<String> overH2 = h2.send(HttpRequest.newBuilder(uri("/echo/x")).header("x-big", "y".repeat(2_000))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(overH2.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertProblem(overH2, 431, "larger than 1024 bytes", "max.request.header.bytes");
        assertThat(overH2.body()).contains("\"endpoint\":\"echo\"");
        HttpResponse<String> after = h2.send(HttpRequest.newBuilder(uri("/echo/after")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void h2cServesTheSameEndpointsPriorKnowledgeAndUpgrade() throws Exception {
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> upgraded = h2.send(HttpRequest.newBuilder(uri("/echo/h2")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(upgraded.version()).isEqualTo(HttpClient.Version.HTTP_2);
        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(uri("/echo/h2"))
                .POST(HttpRequest.BodyPublishers.ofString("over h2c")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.body()).isEqualTo("over h2c");
        assertThat(r.headers().firstValue("x-path")).hasValue("/h2");
        assertProblem(h2.send(HttpRequest.newBuilder(uri("/nosuch/x")).build(), HttpResponse.BodyHandlers.ofString()),
                404, "endpoint 'nosuch'");
    }

    /**
     * HTTP/2 clients that go away with streams in flight (h2load at the end of its run, a proxy
     * dropping a connection): the answers that can no longer be written, and the requests whose body
     * stopped coming, are no error of anyone's. They were counted and logged as 500 ("WARNING 500 POST
     * /echo/64: EofException: Broken pipe"), so that the 5xx rate rose whenever a load test ended; a
     * request whose body could no longer be read was answered 400, or 413 when it ended short.
     */
    @Test
    void answersToAnHttp2ClientThatWentAwayAreNoErrors() throws Exception {
        for (int round = 0; round < 20; round++) {
            List<Socket> sockets = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                socket.getOutputStream().write(h2cStreams(100, "/echo/gone"));
                sockets.add(socket);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> sockets.get(0).getInputStream().available() > 0);
            for (int c = 0; c < sockets.size(); c++) {
                Socket socket = sockets.get(c);
                switch (c % 3) {
                    case 0 -> socket.setSoLinger(true, 0); // a reset
                    case 1 -> socket.getOutputStream().write(cancels(100)); // each POST's stream cancelled first
                    default -> { } // FIN
                }
                socket.close(); // with answers still being written
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.counters().inFlight() == 0);
        // 800 streams at once are more than the endpoint's share of the front's places: 503s are answers too
        assertThat(server.counters().statuses()).as("answers by status").containsKey(200)
                .doesNotContainKeys(400, 413, 500);
        assertThat(get("/echo/x").statusCode()).isEqualTo(200);
    }

    /**
     * Bytes of an HTTP/2 client with prior knowledge: the preface, empty SETTINGS, and {@code count}
     * requests for {@code path} (HPACK literals, no Huffman coding): GETs, and every other one a POST
     * that announces 64 bytes of body and sends 32 (its stream stays open).
     */
    private static byte[] h2cStreams(int count, String path) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, no parameters
        for (int i = 0; i < count; i++) {
            int stream = 2 * i + 1;
            boolean post = i % 2 == 1;
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.write(post ? 0x83 : 0x82); // :method POST or GET
            block.write(0x86); // :scheme http
            block.write(0x04); // :path, a literal not indexed
            block.write(path.length());
            block.write(path.getBytes(StandardCharsets.US_ASCII));
            block.write(0x01); // :authority
            block.write(9);
            block.write("127.0.0.1".getBytes(StandardCharsets.US_ASCII));
            if (post) {
                block.write(new byte[] {0x0f, 0x0d, 2, '6', '4'}); // content-length: 64
            }
            byte[] headers = block.toByteArray();
            // HEADERS with END_HEADERS, and END_STREAM for a GET
            out.write(frameHead(headers.length, 1, post ? 4 : 5, stream));
            out.write(headers);
            if (post) {
                out.write(frameHead(32, 0, 0, stream)); // DATA, half the body, the stream left open
                out.write(new byte[32]);
            }
        }
        return out.toByteArray();
    }

    /** RST_STREAM (CANCEL) for the POSTs of {@link #h2cStreams}. */
    private static byte[] cancels(int count) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i < count; i += 2) {
            out.write(frameHead(4, 3, 0, 2 * i + 1));
            out.write(new byte[] {0, 0, 0, 8});
        }
        return out.toByteArray();
    }

    private static byte[] frameHead(int length, int type, int flags, int stream) {
        return new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type, (byte) flags,
            (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
    }

    @Test
    void routesMapMethodsAndPathsMostSpecificFirstAndChangeWhileServing() throws Exception {
        server.reconfigure(HttpSettings.DEFAULTS.with(Map.of("port", server.port(),
                "routes", new String[] {"GET,POST /api/users/* -> echo", "/api/users/slow -> slow", "/api/* -> nosuch"}),
                HttpSettings.DEFAULTS, complaints::add));
        assertThat(complaints).isEmpty();
        HttpResponse<String> users = get("/api/users/7?full=1");
        assertThat(users.statusCode()).isEqualTo(200);
        assertThat(users.headers().firstValue("x-path")).hasValue("/api/users/7"); // the path as it came
        assertThat(users.headers().firstValue("x-query")).hasValue("full=1");
        assertThat(client.send(HttpRequest.newBuilder(uri("/api/users/slow")).POST(HttpRequest.BodyPublishers
                .ofString("sleep:0")).build(), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("slow");
        HttpResponse<String> delete = client.send(HttpRequest.newBuilder(uri("/api/users/7")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(404); // /api/* takes any method: to an endpoint not loaded
        assertProblem(get("/api/other"), 404, "endpoint 'nosuch'");

        // an endpoint a route names starts answering the moment it is loaded
        registry.loadFrom("nosuch", Natives.library("echo"));
        assertThat(get("/api/other").statusCode()).isEqualTo(200);

        // a route with methods only: others get 405 with Allow
        server.reconfigure(HttpSettings.DEFAULTS.with(Map.of("port", server.port(), "routes", "GET /only -> echo"),
                HttpSettings.DEFAULTS, complaints::add));
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(uri("/only")).POST(HttpRequest.BodyPublishers
                .ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(post, 405, "take GET, not POST");
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
        assertThat(get("/echo/still").statusCode()).isEqualTo(200); // the default route is still on
    }

    @Test
    void wrongSettingsAreOneLineEachAndThePreviousValuesStay() {
        HttpSettings before = HttpSettings.DEFAULTS.with(Map.of("port", 9000, "routes", "/a -> echo"),
                HttpSettings.DEFAULTS, complaints::add);
        HttpSettings after = HttpSettings.DEFAULTS.with(Map.of("port", "abc", "max.concurrent.requests", -7,
                "routes", new String[] {"/b -> echo", "nonsense"}, "h2c", "maybe", "porrt", 1), before, complaints::add);
        assertThat(after.port()).isEqualTo(9000);
        assertThat(after.maxConcurrentRequests()).isEqualTo(200);
        assertThat(after.routes().list()).extracting(Object::toString).contains("/a -> echo").doesNotContain("/b -> echo");
        assertThat(after.h2c()).isTrue();
        assertThat(complaints).anyMatch(l -> l.endsWith("port = 'abc' is not a whole number from 0 to 65535; port stays 9000"))
                .anyMatch(l -> l.contains("max.concurrent.requests = '-7'") && l.endsWith("max.concurrent.requests stays 200"))
                .anyMatch(l -> l.contains("route 'nonsense': no '->'"))
                .anyMatch(l -> l.contains("h2c = 'maybe' is not true or false"))
                .anyMatch(l -> l.contains("'porrt' is no setting"));
    }

    @Test
    void aNewPortOpensBeforeTheOldClosesAndACallInFlightOnTheOldOneIsAnswered() throws Exception {
        int oldPort = server.port();
        Path gate = work.resolve("gate");
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(uri("/slow/x"))
                .POST(HttpRequest.BodyPublishers.ofString("wait:" + gate)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> server.counters().inFlight() == 1);

        server.reconfigure(HttpSettings.DEFAULTS.with(Map.of("port", 0, "h2c", false), HttpSettings.DEFAULTS,
                complaints::add));
        assertThat(server.port()).isNotEqualTo(oldPort);
        assertThat(server.listeners()).singleElement().satisfies(l -> assertThat(l.protocols()).containsExactly("http/1.1"));
        assertThat(get("/echo/new").statusCode()).isEqualTo(200);
        Files.writeString(gate, "open");
        assertThat(inFlight.get().statusCode()).isEqualTo(200);
        assertThat(inFlight.get().body()).isEqualTo("slow");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static void assertProblem(HttpResponse<String> r, int status, String... detail) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"status\":" + status).contains("\"requestId\":\"").contains(detail);
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
    }

    private String rawExchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
