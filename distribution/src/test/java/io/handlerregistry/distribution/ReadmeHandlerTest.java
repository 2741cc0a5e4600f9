package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's handler, followed word for word: the C example of "Writing a handler in C" compiled with its
 * gcc command and served from handlers/ (bodies larger than the host's scratch buffer included), and the
 * same library made into a handler bundle "without Maven" (its manifest, its jar command) and served
 * from deploy/.
 */
class ReadmeHandlerTest {
    private static final Path README = Path.of(System.getProperty("readme", "../README.md"));
    private static final Path ROOT = README.toAbsolutePath().normalize().getParent();

    @TempDir
    Path work;

    @Test
    void theCExampleBuildsWithItsCommandAndAnswersBodiesOfAnySize() throws Exception {
        String section = section("## Writing a handler in C");
        Files.writeString(work.resolve("hello.c"), block(section, "c", 0));
        shell(block(section, "sh", 0));
        // and cleanly: no warning with the usual ones on
        shell("gcc -fsyntax-only -std=c11 -Wall -Wextra -Werror -I registry-core/src/main/native/include hello.c");

        Container container = new Container(work.resolve("container"));
        Files.copy(work.resolve("libhandler_hello.so"), container.home().resolve("handlers/libhandler_hello.so"));
        Path big = work.resolve("big.txt");
        Files.writeString(big, "y".repeat(70_000)); // past the 64 KiB scratch buffer
        Path binary = work.resolve("binary.bin");
        Files.write(binary, new byte[] {'a', 0, 'b'}); // a body is bytes, not a C string
        Container.Run run = container.run("handler:load hello", "handler:call hello world",
                "handler:call -f " + big + " hello", "handler:call -f " + binary + " hello");
        assertThat(run.exit()).as("%s", run).isZero();
        assertThat(run.out()).contains("\nhello world\n", "hello yyyyyyyy", "(70006 bytes in all)");
        assertThat(run.out()).contains("(9 bytes, binary) 68656c6c6f20610062"); // "hello a\0b": past the NUL
    }

    @Test
    void theBundleMadeWithoutMavenIsServedFromTheDeployFolder() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")
                && System.getProperty("os.arch").equals("amd64"), "README's manifest is that of Linux x86-64");
        String c = section("## Writing a handler in C");
        Files.writeString(work.resolve("hello.c"), block(c, "c", 0));
        shell(block(c, "sh", 0));
        String bundle = section("## Wrapping a library into a handler bundle");
        String withoutMaven = bundle.substring(bundle.indexOf("**Without Maven**"));
        Files.writeString(work.resolve("MANIFEST.MF"), block(withoutMaven, "", 0));
        shell(block(withoutMaven, "sh", 0));

        Container container = new Container(work.resolve("container"));
        container.deploy(work.resolve("hello.jar"), "hello.jar");
        Container.Run run = container.run("handler:call hello world", "handler:deployments");
        assertThat(run.exit()).as("%s", run).isZero();
        assertThat(run.out()).contains("\nhello world\n").containsPattern("hello\\.jar +SERVING +\\d+ +com\\.example\\.hello 1\\.0\\.0");
        assertThat(run.err()).doesNotContain("WARNING");
    }

    private static String section(String heading) throws Exception {
        String readme = Files.readString(README);
        int start = readme.indexOf("\n" + heading + "\n");
        assertThat(start).as("README has " + heading).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The {@code n}th fenced block of this language ("" for none) in the text. */
    private static String block(String text, String language, int n) {
        Matcher m = Pattern.compile("(?ms)^```" + language + "\\n(.*?)^```$").matcher(text);
        for (int i = 0; i <= n; i++) {
            assertThat(m.find()).as("block %d of language '%s'", i, language).isTrue();
        }
        return m.group(1);
    }

    /** Runs README's commands in the work directory, with this checkout's paths. */
    private void shell(String script) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-euo", "pipefail", "-c",
                script.replace("registry-core/src/main/native/include", ROOT.resolve("registry-core/src/main/native/include").toString()))
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("shell.log").toFile());
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s did not end", script).isTrue();
        assertThat(process.exitValue()).as("%s\n%s", script, Files.readString(work.resolve("shell.log"))).isZero();
    }
}
