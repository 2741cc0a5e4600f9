package io.handlerregistry.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The floor of the HTTP front's stack: the same Jetty (version, thread pool, HTTP configuration,
 * connector with HTTP/1.1 and h2c, connection limit) as {@code io.handlerregistry.http.server.HttpServer}
 * with its default settings, and instead of the registry a {@link Handler.Abstract} that reads the
 * request body as the front does and answers with what the front answered for the same request:
 * status 200, the same response headers in the same order (captured from the front), and the body
 * it read. The two values the front makes anew for every request, {@code x-request-id} and
 * {@code x-deadline}, are made anew here too, of the same kind and length.
 *
 * <p>Arguments: {@code PORT ANSWERS_FILE}. Each line of the file is
 * {@code h1|h2 TAB path TAB name TAB value}, a value {@value #REQUEST_ID} or {@value #DEADLINE}
 * standing for a new one; a request whose protocol and path has no answer gets 404. Runs until
 * killed.
 */
public final class HttpFloor extends Handler.Abstract {
    static final String REQUEST_ID = "{request-id}";
    static final String DEADLINE = "{deadline}";
    /** As in HttpServer: request places (max.concurrent.requests, 200) plus 16 spare threads. */
    private static final int THREADS = 200 + 16;

    private final Map<String, List<HttpField>> answers;

    private HttpFloor(Map<String, List<HttpField>> answers) {
        super(InvocationType.BLOCKING); // as the front's handler: the call it makes blocks
        this.answers = answers;
    }

    public static void main(String[] args) throws Exception {
        Logger.getLogger("org.eclipse.jetty").setLevel(Level.WARNING); // as conf/logging.properties of the container
        int port = Integer.parseInt(args[0]);
        HttpFloor handler = new HttpFloor(read(Path.of(args[1])));

        QueuedThreadPool threads = new QueuedThreadPool(THREADS, 8);
        threads.setName("handler-http");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(8 << 10);
        server.setHandler(handler);
        server.addBean(new NetworkConnectionLimit(Integer.MAX_VALUE, server));
        ServerConnector connector = new ServerConnector(server, 1, -1, new HttpConnectionFactory(http),
                new HTTP2CServerConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(30_000);
        server.addConnector(connector);
        server.start();
        System.out.println("listening=" + connector.getLocalPort());
        server.join();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws IOException {
        long length = request.getLength();
        byte[] body = length > 0 ? Content.Source.asInputStream(request).readNBytes((int) length) : new byte[0];
        String protocol = request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_2 ? "h2" : "h1";
        List<HttpField> answer = answers.get(protocol + " " + request.getHttpURI().getPath());
        if (answer == null) {
            response.setStatus(404);
            callback.succeeded();
            return true;
        }
        response.setStatus(200);
        HttpFields.Mutable headers = response.getHeaders();
        for (HttpField field : answer) {
            switch (field.getValue()) {
                case REQUEST_ID -> headers.add(field.getName(),
                        Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
                case DEADLINE -> headers.add(field.getName(),
                        Long.toString(System.currentTimeMillis() * 1_000_000L + 30_000_000_000L));
                default -> headers.add(field);
            }
        }
        headers.put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    private static Map<String, List<HttpField>> read(Path file) throws IOException {
        Map<String, List<HttpField>> answers = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] cells = line.split("\t", 4);
            if (cells.length == 4) {
                answers.computeIfAbsent(cells[0] + " " + cells[1], k -> new ArrayList<>())
                        .add(new HttpField(cells[2], cells[3]));
            }
        }
        return answers;
    }
}
