package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embeds the registry in Apache Karaf as README says: the features repository is added and
 * feature handler-registry-shell installed, in a Karaf started as a real process and driven through
 * its bin/client. A handler bundle dropped into Karaf's deploy/ serves from the Karaf shell, and a
 * new version copied over it while handler:bench calls it takes over with no failed call (the registry
 * deploys handler bundles for Karaf's FileInstall: its own update would stop the old bundle first).
 *
 * <p>The features' bundles reach Karaf the way a custom Karaf assembly ships them: in its system/
 * repository (a user who ran {@code mvn install} gets them from ~/.m2 instead).
 */
class KarafTest {
    private static final Path KARAF = Path.of(System.getProperty("karaf.home", "target/karaf/apache-karaf"));
    private static final Path SYSTEM_REPOSITORY = Path.of(System.getProperty("karaf.system", "target/karaf-system"));
    private static final Path FEATURES = Path.of(System.getProperty("features.file", "target/feature/features.xml"));
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));
    private static final String VERSION = System.getProperty("project.version");

    @TempDir
    Path work;
    private Path karaf;
    private String javaHome;
    private int sshPort;
    private Process server;

    @BeforeEach
    void install() throws IOException {
        assumeTrue(Files.isDirectory(KARAF), "no Karaf at " + KARAF + ": its archive was not downloaded (-Dkaraf.skip"
                + " or no access to Maven Central); skipped");
        javaHome = javaForKaraf().orElse(null);
        assertThat(javaHome).as("a JDK 17 to 21 for Karaf 4.4 (it asks for a Security Manager, which JDK 24+"
                + " refuses): this JVM is " + Runtime.version() + "; name one with -Dkaraf.java.home").isNotNull();
        karaf = work.resolve("karaf");
        copyTree(KARAF, karaf);
        copyTree(SYSTEM_REPOSITORY, karaf.resolve("system"));
        Path features = karaf.resolve("system/io/handlerregistry/handler-registry/" + VERSION
                + "/handler-registry-" + VERSION + "-features.xml");
        Files.createDirectories(features.getParent());
        Files.copy(FEATURES, features);
        // an administrator for bin/client, and ports of our own
        edit(karaf.resolve("etc/users.properties"), "(?m)^#(karaf = karaf,_g_:admingroup)$", "$1");
        edit(karaf.resolve("etc/users.properties"), "(?m)^#(_g_\\\\:admingroup = .*)$", "$1");
        sshPort = freePort();
        edit(karaf.resolve("etc/org.apache.karaf.shell.cfg"), "(?m)^sshPort\\s*=.*$", "sshPort = " + sshPort);
        edit(karaf.resolve("etc/org.apache.karaf.management.cfg"), "(?m)^rmiRegistryPort\\s*=.*$",
                "rmiRegistryPort = " + freePort());
        edit(karaf.resolve("etc/org.apache.karaf.management.cfg"), "(?m)^rmiServerPort\\s*=.*$",
                "rmiServerPort = " + freePort());
    }

    /** When a test fails, what Karaf saw (its log goes with the temporary folder): printed before Karaf stops. */
    @RegisterExtension
    final AfterTestExecutionCallback diagnostics = context -> {
        if (context.getExecutionException().isPresent() && karaf != null) {
            printDiagnostics();
        }
    };

    @AfterEach
    void stop() throws Exception {
        if (server == null) {
            return;
        }
        karafScript("stop").waitFor(60, TimeUnit.SECONDS);
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
    }

    @Test
    void featureInstallThenADeployedHandlerServesTheKarafShellAndIsReplacedUnderLoadWithoutAFailure()
            throws Exception {
        startKaraf();
        installFeature();

        // a wrong setting as config:property-set writes it (a string): one line naming it, the value in force stays
        client("config:edit io.handlerregistry.registry", "config:property-set max.concurrent.calls abc",
                "config:property-set max.waiting.calls -7", "config:update");
        await("the refusals in Karaf's log").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> client("log:display | grep refused").contains("max.waiting.calls=-7"));
        String refused = client("log:display | grep refused").replaceAll("\u001b\\[[0-9;]*m", ""); // no colours
        assertThat(refused).contains("io.handlerregistry.registry: max.concurrent.calls=abc is refused: it needs a"
                + " whole number of at least 0; max.concurrent.calls stays 256");
        assertThat(client("log:display")).doesNotContain("ComponentException", "NumberFormatException");
        // the registry's log is Karaf's
        assertThat(client("echo (handler:log)")).contains("In Karaf, the registry logs to Karaf's log: log:display");
        // a refusal or a command without its arguments: one red line, and no ERROR with a stack in Karaf's log
        assertThat(client("handler:info nosuch")).contains("no version of endpoint 'nosuch' is loaded; see handler:list");
        assertThat(client("handler:info")).contains("handler:info: arguments are missing: handler:info [--no-format]");
        assertThat(read(karaf.resolve("data/log/karaf.log"))).doesNotContain("Exception caught while executing command");

        drop("handler-greeting-v1", "greeting.jar");
        await("greeting v1 from deploy/").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client("echo (handler:call greeting hi)").contains("v1 hi"));
        assertThat(client("echo (handler:deployments)")).containsPattern("greeting\\.jar +SERVING");

        // a new version copied over the file, in place, while the Karaf shell calls it
        Client bench = startClient("echo (handler:bench --threads 2 --duration 8 greeting)");
        await("the bench's calls").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> calls(client("echo (handler:info greeting)")) > 10_000);
        drop("handler-greeting-v2", "greeting.jar");
        String benchOut = bench.output();
        assertThat(benchOut).contains("failures 0").containsPattern("answers +v1 \\d+, v2 \\d+");

        assertThat(client("echo (handler:call greeting hi)")).contains("v2 hi");
        await("v1 uninstalled once drained").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> !client("bundle:list -t 0").contains("handler greeting 1.0.0"));
        assertThat(client("echo (handler:list)")).contains("greeting  2.0.0").doesNotContain("1.0.0");

        // a handler bundle in process isolation: its worker crashes, Karaf and greeting serve on
        drop("handler-crashy", "crashy.jar");
        await("crashy from deploy/").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client("echo (handler:call crashy hi)").contains("alive "));
        String crashed = client("handler:call crashy segv");
        assertThat(crashed).contains("signal 11 (SIGSEGV)");
        assertThat(client("echo (handler:call greeting hi)", "echo (handler:call crashy hi)"))
                .contains("v2 hi", "alive ");
        assertThat(client("echo (handler:info crashy)")).containsPattern("isolation +process")
                .containsPattern("restarts +1").containsPattern("last crash .*SIGSEGV");

        assertKarafShellCompletesHelpsAndReportsInTheBackground();
    }

    /**
     * Karaf's own shell, as a person meets it (bin/client on a terminal): Tab completes the handler
     * commands' names (not the internal completion function), their options and endpoint ids; Karaf's
     * help shows a command's usage; a bench started with & reports when it ends.
     */
    private void assertKarafShellCompletesHelpsAndReportsInTheBackground() throws Exception {
        assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
        try (PseudoTerminal terminal = new PseudoTerminal("bash " + karaf.resolve("bin/client") + " -u karaf -p karaf -a "
                + sshPort + " -r 1", 100, karaf, Map.of("JAVA_HOME", javaHome))) {
            await("Karaf's prompt").atMost(Duration.ofSeconds(60)).until(() -> terminal.screen().contains("karaf@root()>"));

            int mark = terminal.type("handler:\t");
            terminal.awaitAfter(mark, "handler:deployments");
            assertThat(terminal.after(mark)).contains("handler:bench", "handler:swap").doesNotContain("_complete");
            terminal.type("\u0015"); // Ctrl-U: the line is emptied

            mark = terminal.type("handler:call --\t");
            terminal.awaitAfter(mark, "--timeout");
            assertThat(terminal.after(mark)).contains("--method", "--header", "--file", "--help");
            terminal.type("\u0015");

            mark = terminal.type("handler:call gree\t");
            terminal.awaitAfter(mark, "handler:call greeting");
            terminal.type("\u0015");

            // where a library is wanted: file names (Karaf's file completer)
            Path library = Files.createDirectories(work.resolve("completion-libs")).resolve("libhandler_greeting.so");
            Files.writeString(library, "not a library: only its name is completed");
            mark = terminal.type("handler:swap greeting " + work.resolve("completion-li") + "\t");
            terminal.awaitAfter(mark, "completion-libs/");
            terminal.type("\u0015");

            mark = terminal.type("help handler:list\r");
            terminal.awaitAfter(mark, "--no-format");
            assertThat(terminal.after(mark)).contains("handler:list [--no-format]", "lists every loaded handler version");
            mark = terminal.type("help handler\r");
            terminal.awaitAfter(mark, "handler:deployments");
            assertThat(terminal.after(mark)).contains("handler:bench", "handler:deployments").doesNotContain("_complete");
            // the list is longer than the terminal (40 rows): Karaf shows it in its pager; q leaves it (and where
            // nothing paged, Ctrl-U empties the line again)
            terminal.type("q");
            terminal.type("\u0015");

            mark = terminal.type("handler:bench --duration 2 greeting &\r");
            int report = mark;
            await("the background bench's report").atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                    terminal.after(report)).contains("failures 0").containsPattern("answers +v2 \\d+"));
            terminal.type("logout\r");
        }
    }

    /**
     * Karaf's FileInstall scans deploy/ once the framework reaches start level 80; the registry, at 70,
     * must already run then, or FileInstall installs or updates the handler bundles itself and every
     * replace of that session stops the old version before the new one runs (calls fail in between).
     * So after a restart, with a file changed while Karaf was down, the folder's rules hold from the
     * first scan: the new content is deployed beside, and a replace under load fails no call.
     */
    @Test
    void afterARestartTheRulesOfTheDeployFolderHoldFromTheFirstScan() throws Exception {
        startKaraf();
        installFeature();
        drop("handler-greeting-v1", "greeting.jar");
        drop("handler-echo", "echo.jar");
        await("greeting v1 from deploy/").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client("echo (handler:call greeting hi)").contains("v1 hi"));
        stopKaraf();

        drop("handler-greeting-v2", "greeting.jar"); // changed while Karaf is down
        startKaraf();
        await("greeting v2, deployed after the restart").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> client("echo (handler:call greeting hi)").contains("v2 hi"));
        await("the deploy folder's view of both files").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    String deployments = client("echo (handler:deployments)");
                    return deployments.matches("(?s).*greeting\\.jar +SERVING.*")
                            && deployments.matches("(?s).*echo\\.jar +SERVING.*");
                });
        assertThat(client("echo (handler:call echo hello)")).contains("hello");

        // replaces in this session go by the folder's rules: under load, beside the running version
        for (String next : new String[] {"handler-greeting-v1", "handler-greeting-v2"}) {
            Client bench = startClient("echo (handler:bench --threads 2 --duration 6 greeting)");
            long before = calls(client("echo (handler:info greeting)"));
            await("the bench's calls").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> calls(client("echo (handler:info greeting)")) > before + 10_000);
            drop(next, "greeting.jar");
            assertThat(bench.output()).contains("failures 0");
        }
        assertThat(client("echo (handler:call greeting hi)")).contains("v2 hi");
        String log = read(karaf.resolve("data/log/karaf.log"));
        assertThat(log).as("FileInstall must leave handler bundles to the registry")
                .doesNotContain("Updating bundle io.handlerregistry.handler")
                .doesNotContain("Installing bundle io.handlerregistry.handler");
        assertThat(client("bundle:list -t 0 -l")).doesNotContainPattern("file:.*deploy/(greeting|echo)\\.jar");
    }

    /**
     * The HTTP front in Karaf beside Karaf's own HTTP server (feature http: Pax Web 8 on Jetty 9.4, with the
     * web console), each on its own port (etc/io.handlerregistry.http.cfg, etc/org.ops4j.pax.web.cfg): a real
     * client (java.net.http, HTTP/1.1 and h2c) reaches the endpoints through the front, the web console
     * answers on its port and lists the front's bundle, and handler bundles replaced in deploy/ under HTTP
     * load fail no request (no non-2xx answer, no connection error). Karaf downloads Pax Web from Maven
     * Central (its pax-url reads ~/.m2 first).
     */
    @Test
    void theHttpFrontServesBesideKarafsOwnHttpServerAndReplacesUnderHttpLoadFailNoRequest() throws Exception {
        int frontPort = freePort();
        int consolePort = freePort();
        int adminPort = freePort();
        Files.writeString(karaf.resolve("etc/io.handlerregistry.http.cfg"), "port = " + frontPort + "\n");
        Files.writeString(karaf.resolve("etc/io.handlerregistry.admin.cfg"), "port = " + adminPort + "\n");
        // the JVM's metrics (prometheus-metrics-instrumentation-jvm) import com.sun.management, which Karaf's system
        // bundle does not export unless asked (README, Operations)
        edit(karaf.resolve("etc/config.properties"), "(?m)^(org\\.osgi\\.framework\\.system\\.packages\\.extra = \\\\)$",
                "$1\n    com.sun.management, \\\\");
        Files.writeString(karaf.resolve("etc/org.ops4j.pax.web.cfg"), "org.osgi.service.http.port = " + consolePort
                + "\n");
        startKaraf();
        String web = client("feature:install http webconsole");
        assertThat(web).as("Karaf installs its own HTTP server (Pax Web, downloaded from Maven Central)")
                .doesNotContain("Error");
        String installed = client(
                "feature:repo-add mvn:io.handlerregistry/handler-registry/" + VERSION + "/xml/features",
                "feature:install --no-auto-refresh handler-registry-http handler-registry-admin handler-registry-shell");
        assertThat(installed).doesNotContain("Error");
        drop("handler-echo", "echo.jar");
        drop("handler-greeting-v1", "greeting.jar");

        String front = "http://127.0.0.1:" + frontPort;
        HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        await("echo through the front").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> post(http1, front + "/echo/x", "hello").body().equals("hello"));
        for (HttpClient client : List.of(http1, h2c)) {
            HttpResponse<String> echoed = post(client, front + "/echo/x?q=1", "über");
            assertThat(echoed.statusCode()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo("über");
            assertThat(echoed.headers().firstValue("x-request-id")).isPresent();
            HttpResponse<String> missing = post(client, front + "/system/console", "");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("no handler is loaded for endpoint 'system'");
        }
        assertThat(post(h2c, front + "/echo/x", "h2").version()).isEqualTo(HttpClient.Version.HTTP_2);

        // Karaf's web console on its own port: protected, and it lists the front's bundle
        String console = "http://127.0.0.1:" + consolePort + "/system/console/bundles.json";
        await("Karaf's web console").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> get(http1, console, null).statusCode() == 401);
        HttpResponse<String> bundles = get(http1, console, "karaf:karaf");
        assertThat(bundles.statusCode()).isEqualTo(200);
        assertThat(bundles.body()).contains("io.handlerregistry.http", "org.ops4j.pax.web.pax-web-jetty");

        // replaces in deploy/ under HTTP load, HTTP/1.1 and h2c
        await("greeting v1").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> post(http1, front + "/greeting/x", "hi").body().startsWith("v1 hi"));
        HttpLoad load = new HttpLoad(List.of(http1, http1, h2c, h2c), front + "/greeting/x");
        for (String next : new String[] {"v2", "v1", "v2"}) {
            long before = load.answers(next);
            drop("handler-greeting-" + next, "greeting.jar");
            await("greeting " + next + " under load").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> load.answers(next) > before + 1_000);
        }
        load.stop();
        assertThat(load.failures).as("non-2xx answers and connection errors through the front").isEmpty();
        assertThat(load.answers("v1")).isPositive();
        assertThat(client("echo (handler:list)")).contains("greeting  2.0.0");

        // the admin front on its own port, beside Karaf's HTTP server: the registry's metrics and the JVM's
        String admin = "http://127.0.0.1:" + adminPort;
        await("the admin front ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> get(http1, admin + "/readyz", null).statusCode() == 200);
        String metrics = get(http1, admin + "/metrics", null).body();
        assertThat(metrics).containsPattern("handler_requests_total\\{endpoint=\"greeting\",outcome=\"ok\","
                + "version=\"2\\.0\\.0\"\\} [1-9]")
                .contains("handler_http_requests_total{code=\"200\",endpoint=\"greeting\",version=\"2.0.0\"}")
                .contains("handler_swaps_total{kind=\"swap\",result=\"ok\"}").contains("jvm_memory_used_bytes");
        assertThat(get(http1, admin + "/readyz?verbose", null).body()).contains("[+] http: listening on " + front)
                .contains("[+] deploy: ");
        assertThat(client("echo (handler:health)")).containsPattern("ready +yes");
    }

    private static HttpResponse<String> post(HttpClient client, String url, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient client, String url, String user) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    user.getBytes(StandardCharsets.UTF_8)));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One thread per client that posts without pause until stopped, counting answers by first word and keeping every failure. */
    private static final class HttpLoad {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<String, LongAdder> answers =
                new ConcurrentHashMap<>();
        private final Queue<String> failures = new ConcurrentLinkedQueue<>();
        private final List<Thread> threads = new ArrayList<>();

        HttpLoad(List<HttpClient> clients, String url) {
            for (HttpClient client : clients) {
                Thread t = new Thread(() -> {
                    while (running.get()) {
                        try {
                            HttpResponse<String> response = post(client, url, "hi");
                            if (response.statusCode() / 100 != 2) {
                                failures.add(response.statusCode() + " " + response.body());
                            } else {
                                answers.computeIfAbsent(response.body().split(" ", 2)[0],
                                        w -> new LongAdder()).increment();
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }, "karaf-http-load");
                threads.add(t);
                t.start();
            }
        }

        long answers(String firstWord) {
            LongAdder n = answers.get(firstWord);
            return n == null ? 0 : n.sum();
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private void startKaraf() throws IOException {
        ProcessBuilder karafServer = new ProcessBuilder("bash", karaf.resolve("bin/karaf").toString(), "server")
                .directory(karaf.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("karaf.out").toFile()));
        karafServer.environment().put("JAVA_HOME", javaHome);
        server = karafServer.start();
        await("Karaf's shell").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                .until(() -> client("echo ready").contains("ready"));
    }

    private void stopKaraf() throws Exception {
        karafScript("stop").waitFor(60, TimeUnit.SECONDS);
        assertThat(server.waitFor(120, TimeUnit.SECONDS)).as("Karaf stopped").isTrue();
        server = null;
    }

    private void installFeature() throws Exception {
        String installed = client(
                "feature:repo-add mvn:io.handlerregistry/handler-registry/" + VERSION + "/xml/features",
                "feature:install --no-auto-refresh handler-registry-shell");
        assertThat(installed).doesNotContain("Error");
        await("the handler commands").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client("echo (handler:stats)").contains("draining requests"));
    }

    /** Runs commands in one bin/client session (batch mode) and returns what it printed. */
    private String client(String... commands) throws Exception {
        return startClient(commands).output();
    }

    private Client startClient(String... commands) throws IOException {
        Path input = Files.createTempFile(work, "commands", ".txt");
        Path output = Files.createTempFile(work, "client", ".out");
        Files.writeString(input, String.join("\n", commands) + "\n");
        ProcessBuilder builder = new ProcessBuilder("bash", karaf.resolve("bin/client").toString(), "-u", "karaf",
                "-p", "karaf", "-a", String.valueOf(sshPort), "-r", "1", "-b")
                .directory(karaf.toFile()).redirectErrorStream(true).redirectInput(input.toFile())
                .redirectOutput(output.toFile());
        builder.environment().put("JAVA_HOME", javaHome);
        return new Client(builder.start(), output, String.join("; ", commands));
    }

    /** One bin/client session and the file its output goes to. */
    private record Client(Process process, Path outputFile, String commands) {
        String output() throws Exception {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("bin/client did not return within 120 s: " + commands);
            }
            return read(outputFile);
        }
    }

    private Process karafScript(String script) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", karaf.resolve("bin/" + script).toString())
                .directory(karaf.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve(script + ".out").toFile());
        builder.environment().put("JAVA_HOME", javaHome);
        return builder.start();
    }

    /**
     * The JDK to run Karaf with: this one when Karaf runs on it (17 to 21), else -Dkaraf.java.home, else a
     * JDK 17 to 21 installed beside it (the bundles are the same: built for Java 17).
     */
    private static Optional<String> javaForKaraf() throws IOException {
        if (Runtime.version().feature() <= 21) {
            return Optional.of(System.getProperty("java.home"));
        }
        String configured = System.getProperty("karaf.java.home");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(configured);
        }
        Path installed = Path.of(System.getProperty("java.home")).getParent();
        try (Stream<Path> jdks = Files.list(installed)) {
            return jdks.filter(jdk -> Files.isExecutable(jdk.resolve("bin/java")))
                    .filter(jdk -> javaVersion(jdk).matches("(17|18|19|20|21)(\\..*)?"))
                    .sorted().map(Path::toString).findFirst();
        }
    }

    private static String javaVersion(Path jdk) {
        try {
            String release = Files.readString(jdk.resolve("release"));
            Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"([^\"]+)\"").matcher(release);
            return m.find() ? m.group(1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Copies one of this build's handler bundles into Karaf's deploy/ the safe way (temporary name, rename). */
    private void drop(String bundle, String name) throws IOException {
        Path temp = karaf.resolve("deploy/." + name + ".tmp");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, karaf.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static long calls(String info) {
        Matcher m = Pattern.compile("(?m)^calls +(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void edit(Path file, String regex, String replacement) throws IOException {
        String before = Files.readString(file);
        String after = before.replaceAll(regex, replacement);
        assertThat(after).as("edited " + file + " (" + regex + ")").isNotEqualTo(before);
        Files.writeString(file, after);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void printDiagnostics() {
        StringBuilder report = new StringBuilder("=== KarafTest failed: what Karaf saw\n");
        try {
            List<String> lines = read(karaf.resolve("data/log/karaf.log")).lines()
                    .filter(line -> line.contains("| WARN") || line.contains("| ERROR") || line.contains("handlerregistry")
                            || line.startsWith("\t") || line.contains("Exception"))
                    .map(line -> line.length() > 400 ? line.substring(0, 400) + "..." : line).toList();
            report.append("--- karaf.log (warnings, errors, the registry's lines; the last 150)\n");
            lines.subList(Math.max(0, lines.size() - 150), lines.size()).forEach(l -> report.append(l).append('\n'));
            report.append("--- karaf.out\n").append(read(work.resolve("karaf.out")));
            if (server != null && server.isAlive()) {
                report.append("--- bundles, components, handlers\n").append(client("bundle:list -t 0", "scr:list",
                        "echo (handler:list)", "echo (handler:deployments)"));
            }
        } catch (Exception e) {
            report.append("(could not read everything: ").append(e).append(")\n");
        }
        System.out.println(report);
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
