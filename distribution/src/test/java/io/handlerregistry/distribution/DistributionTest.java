package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real distribution as a separate process (a copy of target/handler-registry), drives
 * it with shell commands, and replaces a deployed handler while the container calls it.
 */
class DistributionTest {
    private static final Path TEST_BUNDLES = Path.of(System.getProperty("test.bundles", "target/test-bundles"));

    @TempDir
    Path work;
    private Path home;

    @BeforeEach
    void install() throws IOException {
        home = Installation.copy(work);
    }

    @Test
    void servesTheExamplesReplacesAHandlerUnderLoadWithoutAFailureAndKeepsItAfterARestart() throws Exception {
        Run list = run("handler:list", "handler:deployments");
        assertThat(list.exit).as(list.toString()).isZero();
        assertThat(list.out).contains("echo ").contains("greeting  1.0.0");
        assertThat(list.out).containsPattern("greeting\\.jar +SERVING");

        // bench inside the container; while it runs, v2 is copied over v1 (new file, then rename)
        Process bench = start("handler:bench --threads 2 --duration 8 greeting");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(work.resolve("err.txt")).contains("> handler:bench"));
        drop("handler-greeting-v2", "greeting.jar");
        Run benchRun = finish(bench);
        assertThat(benchRun.exit).as(benchRun.toString()).isZero();
        assertThat(benchRun.out).contains("failures 0");
        assertThat(benchRun.out).containsPattern("answers   v1 \\d+, v2 \\d+");
        assertThat(benchRun.err).contains("deploy/greeting.jar: started io.handlerregistry.handler.greeting 2.0.0");

        Run restarted = run("handler:call greeting hi", "handler:list");
        assertThat(restarted.exit).as(restarted.toString()).isZero();
        assertThat(restarted.out).contains("v2 hi").contains("greeting  2.0.0").contains("echo ");
        assertThat(restarted.out).doesNotContain("greeting  1.0.0");
    }

    @Test
    void removingTheServingOneOfTwoFilesFallsBackToTheOtherWithoutAFailedCall() throws Exception {
        drop("handler-greeting-v2", "greeting-v2.jar"); // beside greeting.jar, v1
        Process bench = start("handler:deployments", "handler:bench --threads 2 --duration 8 greeting");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(work.resolve("err.txt")).contains("> handler:bench"));
        Files.delete(home.resolve("deploy/greeting-v2.jar"));
        Run run = finish(bench);

        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).containsPattern("greeting-v2\\.jar +SERVING").containsPattern("greeting\\.jar +STANDBY");
        assertThat(run.out).contains("failures 0").containsPattern("answers +v1 \\d+, v2 \\d+");
        assertThat(run.err).contains("deploy/greeting-v2.jar was removed");
    }

    @Test
    void aDrainingSlowCallDelaysNoOtherDeploy() throws Exception {
        drop("handler-slow", "slow.jar");
        Path gate = work.resolve("gate");
        Process process = start("handler:bench --threads 1 --calls 1 --body wait:" + gate + " slow",
                "handler:deployments");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(Path.of(gate + ".inside")));

        Files.delete(home.resolve("deploy/slow.jar")); // slow drains: its call is held at the gate
        drop("handler-greeting-v2", "greeting.jar"); // another endpoint redeployed meanwhile
        await().atMost(Duration.ofSeconds(30)).until(() -> read(work.resolve("err.txt"))
                .contains("deploy/greeting.jar: started io.handlerregistry.handler.greeting 2.0.0"));
        assertThat(read(work.resolve("err.txt"))).doesNotContain("uninstalled io.handlerregistry.handler.slow");

        Files.writeString(gate, "open");
        Run run = finish(process);
        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).contains("calls     1 ").contains("failures 0")
                .containsPattern("greeting\\.jar +SERVING +\\d+ +io.handlerregistry.handler.greeting 2.0.0");
    }

    @Test
    void theDeployFolderGoingAwayAndComingBackUndeploysNothing() throws Exception {
        Process bench = start("handler:bench --threads 2 --duration 8 greeting");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(work.resolve("err.txt")).contains("> handler:bench"));
        Path deploy = home.resolve("deploy");
        Path away = home.resolve("deploy.away");
        Files.move(deploy, away);
        await().atMost(Duration.ofSeconds(30)).until(() -> read(work.resolve("err.txt")).contains("is gone"));
        assertThat(deploy).as("not recreated").doesNotExist();
        Files.move(away, deploy);
        await().atMost(Duration.ofSeconds(30)).until(() -> read(work.resolve("err.txt")).contains("is back"));
        Run run = finish(bench);

        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).contains("failures 0").containsPattern("(?m)^answers +v1 \\d+$");
        assertThat(run.err).doesNotContain("was removed");
    }

    @Test
    void aCrashingHandlerBundleInProcessIsolationEndsOnlyItsWorkerWhileTheOthersServe() throws Exception {
        drop("handler-crashy", "crashy.jar"); // Handler-Isolation: process
        // its worker crashes (SIGSEGV) a second after answering, while greeting is benchmarked
        Run run = run("handler:call crashy segv-after:1000", "handler:bench --threads 2 --duration 4 greeting",
                "handler:call crashy hi", "handler:info crashy", "handler:list");

        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).contains("failures 0").containsPattern("(?m)^answers +v1 \\d+$");
        assertThat(run.out).containsPattern("alive \\d+")
                .containsPattern("isolation +process")
                .containsPattern("restarts +1")
                .containsPattern("last crash +.*signal 11 \\(SIGSEGV\\)")
                .containsPattern("crashy +1\\.0\\.0 +ACTIVE +process \\(pid \\d+\\), 1 restart");
        assertThat(run.err).contains("endpoint 'crashy': the worker process")
                .contains("was killed by signal 11 (SIGSEGV)").contains("other endpoints are not affected");
        // the first answer's worker is not the one serving after the restart
        java.util.regex.Matcher alive = java.util.regex.Pattern.compile("alive (\\d+)").matcher(run.out);
        assertThat(alive.find()).isTrue();
        String first = alive.group(1);
        assertThat(alive.find()).isTrue();
        assertThat(alive.group(1)).isNotEqualTo(first);
    }

    @Test
    void errorsAreOneLineAndTheExitStatusSaysSo() throws Exception {
        Run run = run("handler:call greeting ok", "handler:call nope", "handler:list");
        assertThat(run.exit).isEqualTo(1);
        assertThat(run.out).contains("v1 ok");
        assertThat(run.err).contains("error: no handler is loaded for endpoint 'nope'");
        assertThat(run.err).doesNotContain("\tat ").doesNotContain("> handler:list");
    }

    @Test
    void anEmptyCommandIsRefusedAtOnce() throws Exception {
        for (String empty : List.of("", "  ")) {
            Run run = run(empty);
            assertThat(run.exit).as(run.toString()).isEqualTo(2);
            assertThat(run.err).isEqualTo("handler-registry: -c needs a command, not an empty one (see --help)\n");
        }
    }

    @Test
    void scriptsGetTheSameHelpCompletionCandidatesAndLiveViewAsThePrompt() throws Exception {
        Run run = run("help handler", "handler:swap --help", "handler:top --count 2 --interval 0.2 greeting",
                "handler:_complete [handler:info greeting ''] 2", "handler:_complete [handler:bench -t 2 g] 3",
                "handler:_complete [handler:call -m ''] 2");
        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).contains("handler:top ", "handler:deployments ") // the list of commands
                .contains("handler:swap [-g] [-t timeout] [-i isolation] <endpoint id> <library file>", "-g, --graceful");
        assertThat(run.out.split("handler:top at ")).as("two views").hasSize(3);
        assertThat(run.out).containsPattern("greeting +1\\.0\\.0 +ACTIVE +0 +0 +0 ").doesNotContain("echo    ");
        // what Tab offers: the versions of an endpoint, endpoint ids after an option's value, methods
        assertThat(run.out).contains("\n1.0.0\n", "\necho\ngreeting\n", "\nGET\nPOST\nPUT\n");
        assertThat(run.out.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(100));
    }

    @Test
    void brokenFilesInTheDeployFolderAreReportedAndChangeNothing() throws Exception {
        Files.writeString(home.resolve("deploy/broken.jar"), "not a jar at all");
        byte[] v2 = Files.readAllBytes(TEST_BUNDLES.resolve("handler-greeting-v2.jar"));
        Files.write(home.resolve("deploy/half.jar"), java.util.Arrays.copyOf(v2, v2.length / 2));

        Run run = run("handler:deployments", "handler:call greeting still");
        assertThat(run.exit).as(run.toString()).isZero();
        assertThat(run.out).containsPattern("broken\\.jar +FAILED").containsPattern("half\\.jar +FAILED")
                .contains("v1 still");
        assertThat(run.err).contains("deploy/broken.jar was not deployed").contains("deploy/half.jar was not deployed");
    }

    @Test
    void theLogGoesToARotatedFileUnderVarLogOfTheInstallationAndHandlerLogShowsIt() throws Exception {
        // small files, to see them rotate: conf/logging.properties sets the size and how many are kept
        Path logging = home.resolve("conf/logging.properties");
        Files.writeString(logging, Files.readString(logging)
                .replaceFirst("(?m)^(io\\.handlerregistry\\.launcher\\.LogFile\\.limit)=.*$", "$1=1000")
                .replaceFirst("(?m)^(io\\.handlerregistry\\.launcher\\.LogFile\\.count)=.*$", "$1=3"));
        Path log = home.resolve("var/log/handler-registry.log");

        Run first = run("handler:call echo first");
        assertThat(first.exit).as(first.toString()).isZero();
        // written under the installation, though started from another directory (work)
        assertThat(work.relativize(home).toString()).isEqualTo("handler-registry");
        assertThat(work.resolve("var")).doesNotExist();
        String firstLog = ""; // a start writes more than 1000 bytes: it may have rotated already
        for (String name : List.of("handler-registry.log.2", "handler-registry.log.1", "handler-registry.log")) {
            Path file = log.resolveSibling(name);
            firstLog += Files.exists(file) ? Files.readString(file) : "";
        }
        assertThat(firstLog).contains("deploy/greeting.jar: started io.handlerregistry.handler.greeting")
                .contains("handler registry started");
        assertThat(first.err).as("batch mode: the console still has the log").contains("deploy/greeting.jar: started");

        for (int i = 0; i < 3; i++) { // each start appends about 1,500 bytes: the files rotate, the oldest go
            Run again = run("handler:call echo again");
            assertThat(again.exit).as(again.toString()).isZero();
        }
        Run shown = run("handler:log -n 12", "handler:log --help");
        assertThat(shown.exit).as(shown.toString()).isZero();

        List<String> files;
        try (Stream<Path> list = Files.list(log.getParent())) {
            files = list.map(f -> f.getFileName().toString()).sorted().collect(java.util.stream.Collectors.toList());
        }
        assertThat(files).containsExactly("handler-registry.log", "handler-registry.log.1", "handler-registry.log.2");
        for (String name : files) {
            List<String> lines = Files.readAllLines(log.resolveSibling(name));
            long longest = lines.stream().mapToLong(l -> l.length() + 1).max().orElse(0);
            assertThat(Files.size(log.resolveSibling(name))).as(name).isLessThan(1000 + longest);
        }
        // the last 12 lines, across the files, as they were when handler:log read them
        List<String> all = new ArrayList<>();
        for (String name : List.of("handler-registry.log.2", "handler-registry.log.1", "handler-registry.log")) {
            all.addAll(Files.readAllLines(log.resolveSibling(name)));
        }
        String output = shown.out.substring(0, shown.out.indexOf("handler:log [-n lines]"));
        List<String> printed = output.strip().lines().collect(java.util.stream.Collectors.toList());
        assertThat(printed).hasSize(12);
        assertThat(String.join("\n", all)).contains(String.join("\n", printed));
        assertThat(shown.out).contains("-f, --follow");
    }

    @Test
    void aSecondStartMapsTheClassesTheFirstOneRecorded() throws Exception {
        int jdk = Runtime.version().feature();
        assumeTrue(jdk <= 21 || jdk >= 25, "the launcher keeps class data on JDK 17 to 21 and 25+ only");
        Run first = run("handler:call echo one");
        assertThat(first.exit).as(first.toString()).isZero();
        assertThat(first.out).doesNotContain("AOT", "archive"); // the JDK's messages on writing it: stderr
        assertThat(cdsFiles()).singleElement().asString().containsPattern("\\.(jsa|aot)\\.tmp-\\d+$");

        Path classLog = work.resolve("classes.log");
        Run second = run(List.of("-Xlog:class+load=info:file=" + classLog), "handler:call echo two");

        assertThat(second.exit).as(second.toString()).isZero();
        assertThat(second.out).contains("two");
        assertThat(second.err).doesNotContain("[cds", "[aot", "shared archive", "AOT");
        assertThat(cdsFiles()).singleElement().asString().containsPattern("\\.(jsa|aot)$"); // verified, kept
        assertThat(Files.readString(classLog)).containsPattern("org\\.apache\\.felix\\.\\S+ source: shared objects file");
    }

    /** Copies one of this build's handler bundles into deploy/ the safe way: a temporary name, then rename. */
    private void drop(String bundle, String name) throws IOException {
        Path temp = home.resolve("deploy/." + name + ".part");
        Files.copy(TEST_BUNDLES.resolve(bundle + ".jar"), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, home.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private List<String> cdsFiles() throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("var/cds"))) {
            return files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toList());
        }
    }

    private Process start(String... commands) throws IOException {
        return start(List.of(), commands);
    }

    private Process start(List<String> javaOpts, String... commands) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", home.resolve("bin/handler-registry").toString()));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(work.resolve("out.txt").toFile()).redirectError(work.resolve("err.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("JAVA_OPTS", String.join(" ", javaOpts));
        return builder.start();
    }

    private Run run(String... commands) throws Exception {
        return finish(start(commands));
    }

    private Run run(List<String> javaOpts, String... commands) throws Exception {
        return finish(start(javaOpts, commands));
    }

    private Run finish(Process process) throws Exception {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the container did not exit within 120 s: " + read(work.resolve("err.txt")));
        }
        return new Run(process.exitValue(), read(work.resolve("out.txt")), read(work.resolve("err.txt")));
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static final class Run {
        final int exit;
        final String out;
        final String err;

        Run(int exit, String out, String err) {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }
}
