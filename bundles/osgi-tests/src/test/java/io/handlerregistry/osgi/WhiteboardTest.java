package io.handlerregistry.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.LoadedHandler;

/**
 * An application that runs its own HTTP server with an OSGi HTTP Whiteboard (Felix HTTP Jetty 12,
 * jakarta servlet 6) in embedded Felix, and again in Equinox (both surefire executions run it), and the HTTP front with {@code whiteboard.enabled}: the
 * front's routes answer on the application's port below {@code whiteboard.path}, with the same
 * mapping and errors, while the front serves on its own port too. Felix HTTP's light bundle runs on
 * the Jetty 12.1 bundles of feature handler-registry-http (one Jetty in the framework).
 */
class WhiteboardTest {
    private static final String HTTP_PID = "io.handlerregistry.http";
    /** The application's HTTP server: Felix HTTP (light) and what it needs besides the front's Jetty bundles. */
    private static final List<String> APPLICATION_SERVER = List.of("jetty-ee10-servlet", "jetty-security",
            "jetty-session", "jetty-alpn-server", "jetty-jmx", "org.apache.felix.http.servlet-api",
            "commons-fileupload", "commons-io", "org.apache.felix.http.jetty12-light");

    @TempDir
    Path storage;
    @TempDir
    Path work;

    private OsgiFramework osgi;
    private HandlerRegistry registry;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String application;
    private String front;

    @BeforeEach
    void start() throws Exception {
        List<Path> bundles = new ArrayList<>();
        APPLICATION_SERVER.forEach(name -> bundles.add(OsgiFramework.BUNDLES.resolve(name + ".jar")));
        osgi = OsgiFramework.withHttp(storage, Map.of(
                "org.osgi.service.http.port", "0", "org.apache.felix.http.host", "127.0.0.1",
                "io.handlerregistry.http.port", "0", "io.handlerregistry.http.whiteboard.enabled", "true"), bundles);
        registry = osgi.registry();
        front = "http://127.0.0.1:" + osgi.httpPort();
        application = applicationServer();
    }

    @AfterEach
    void stop() throws Exception {
        osgi.close();
    }

    @Test
    void theRoutesAnswerOnTheApplicationsServerAndOnTheFrontsOwnPort() throws Exception {
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("echo"));

        for (String base : List.of(application + "/handlers", front)) {
            HttpResponse<String> echoed = send(HttpRequest.newBuilder(URI.create(base + "/echo/x?q=1"))
                    .header("x-request-id", "whiteboard-1").POST(HttpRequest.BodyPublishers.ofString("hello")));
            assertThat(echoed.statusCode()).as(base).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo("hello");
            // the handler's own x-request-id is left out for the front's; its other headers come in order
            assertThat(echoed.headers().allValues("x-request-id")).as(base).containsExactly("whiteboard-1");
            assertThat(echoed.headers().firstValue("x-path")).as(base).hasValue("/x");
            assertThat(echoed.headers().firstValue("x-query")).as(base).hasValue("q=1");

            HttpResponse<String> missing = send(HttpRequest.newBuilder(URI.create(base + "/nothing/x")));
            assertThat(missing.statusCode()).as(base).isEqualTo(404);
            assertThat(missing.headers().firstValue("content-type")).hasValue("application/problem+json");
            assertThat(missing.body()).contains("\"endpoint\":\"nothing\"", "no handler is loaded for endpoint"
                    + " 'nothing'");

            HttpResponse<String> invalid = send(HttpRequest.newBuilder(URI.create(base + "/no%20id/x")));
            assertThat(invalid.statusCode()).as(base).isEqualTo(404);
            assertThat(invalid.body()).contains("is no endpoint id");
        }
        // the servlet has its path: the rest of the application's server is the application's
        HttpResponse<String> elsewhere = send(HttpRequest.newBuilder(URI.create(application + "/echo/x")));
        assertThat(elsewhere.statusCode()).isEqualTo(404);
        assertThat(elsewhere.headers().firstValue("content-type")).isNotEqualTo(java.util.Optional.of(
                "application/problem+json"));

        // one Jetty in the framework: Felix HTTP's servlet layer runs on the front's Jetty 12.1 bundles
        Bundle felixHttp = Arrays.stream(osgi.context().getBundles())
                .filter(b -> "org.apache.felix.http.jetty12.light".equals(b.getSymbolicName())).findFirst().orElseThrow();
        assertThat(felixHttp.getState()).isEqualTo(Bundle.ACTIVE);
        BundleWire server = felixHttp.adapt(BundleWiring.class).getRequiredWires("osgi.wiring.package").stream()
                .filter(w -> "org.eclipse.jetty.server".equals(w.getCapability().getAttributes().get("osgi.wiring.package")))
                .findFirst().orElseThrow();
        assertThat(server.getProvider().getBundle().getSymbolicName()).isEqualTo("org.eclipse.jetty.server");
        assertThat(server.getProvider().getBundle().getVersion().toString()).startsWith("12.1.");
    }

    @Test
    void aRequestPastItsDeadlineGets504ThroughTheWhiteboardWhileTheCallGoesOn() throws Exception {
        osgi.installHandler("handler-slow").start();
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("slow") && registry.isLoaded("echo"));
        // the new timeout applies with the new route, in one change
        osgi.configure(HTTP_PID, Map.of("request.timeout.ms", 300L, "routes", "/probe -> echo"));
        await("the new settings").until(() -> send(HttpRequest.newBuilder(URI.create(application + "/handlers/probe"))
                .POST(HttpRequest.BodyPublishers.ofString("probe"))).body().equals("probe"));

        Path gate = work.resolve("gate");
        HttpResponse<String> late = send(HttpRequest.newBuilder(URI.create(application + "/handlers/slow/x"))
                .POST(HttpRequest.BodyPublishers.ofString("wait:" + gate)));
        assertThat(late.statusCode()).isEqualTo(504);
        assertThat(late.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(late.body()).contains("endpoint 'slow' did not answer within 300 ms");
        // the 504 came while the handler still holds its call
        assertThat(registry.handler("slow").map(LoadedHandler::activeRequests).orElse(0L)).isEqualTo(1);
        Files.writeString(gate, "open");
        await().until(() -> registry.handler("slow").map(LoadedHandler::activeRequests).orElse(1L) == 0);
    }

    @Test
    void aHandlerReplacedUnderLoadThroughBothDoorsFailsNoRequest() throws Exception {
        osgi.installHandler("handler-greeting-v1").start();
        await().until(() -> registry.isLoaded("greeting"));
        ContinuousCalls viaApplication = new ContinuousCalls(2, () -> post(application + "/handlers/greeting/x"));
        ContinuousCalls viaFront = new ContinuousCalls(2, () -> post(front + "/greeting/x"));
        await().until(() -> viaApplication.answers("v1") > 200 && viaFront.answers("v1") > 200);

        osgi.installHandler("handler-greeting-v2").start();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> viaApplication.answers("v2") > 500 && viaFront.answers("v2") > 500);
        assertThat(viaApplication.stop().failures()).as("through the whiteboard").isEmpty();
        assertThat(viaFront.stop().failures()).as("through the front's own port").isEmpty();
        // handler:http counts both doors
        assertThat(answered()).isGreaterThanOrEqualTo(viaApplication.calls() + viaFront.calls());
    }

    @Test
    void turnedOffTheServletGoesAndTheFrontServesOnAndItComesBackAtAnotherPath() throws Exception {
        osgi.installHandler("handler-echo").start();
        await().until(() -> registry.isLoaded("echo"));
        osgi.configure(HTTP_PID, Map.of("whiteboard.enabled", false));
        await().until(() -> send(HttpRequest.newBuilder(URI.create(application + "/handlers/echo/x"))).statusCode() == 404);
        assertThat(send(HttpRequest.newBuilder(URI.create(front + "/echo/x"))).statusCode()).isEqualTo(200);

        osgi.configure(HTTP_PID, Map.of("whiteboard.enabled", true, "whiteboard.path", "/api/handlers"));
        await().until(() -> send(HttpRequest.newBuilder(URI.create(application + "/api/handlers/echo/x"))
                .POST(HttpRequest.BodyPublishers.ofString("again"))).body().equals("again"));
        assertThat(send(HttpRequest.newBuilder(URI.create(application + "/handlers/echo/x"))).statusCode())
                .isEqualTo(404);
    }

    /** The application's server, from its whiteboard runtime's osgi.http.endpoint, without the trailing slash. */
    private String applicationServer() throws Exception {
        await("the application's HTTP Whiteboard").atMost(Duration.ofSeconds(30)).until(() -> endpoint() != null);
        String endpoint = endpoint();
        return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }

    private String endpoint() throws Exception {
        ServiceReference<?>[] runtimes = osgi.context().getAllServiceReferences(
                "org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
        if (runtimes == null) {
            return null;
        }
        Object endpoints = runtimes[0].getProperty("osgi.http.endpoint");
        String first = endpoints instanceof String[] ? ((String[]) endpoints)[0]
                : endpoints instanceof java.util.Collection ? String.valueOf(((java.util.Collection<?>) endpoints)
                        .iterator().next()) : String.valueOf(endpoints);
        return first.matches("http://127\\.0\\.0\\.1:[1-9][0-9]*/?") ? first : null;
    }

    /** Requests answered, as the front's HttpFront service counts them (handler:http shows them). */
    private long answered() throws Exception {
        Object counters = counters();
        return (Long) counters.getClass().getMethod("requests").invoke(counters);
    }

    private Object counters() throws Exception {
        ServiceReference<?> reference = osgi.context().getAllServiceReferences("io.handlerregistry.http.api.HttpFront",
                null)[0];
        return OsgiFramework.call(osgi.context().getService(reference), "counters", new Class<?>[0]);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of a 2xx answer; anything else is a failure with its status and body. */
    private String post(String url) {
        try {
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(url))
                    .POST(HttpRequest.BodyPublishers.ofString("hi")));
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(response.statusCode() + " " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
