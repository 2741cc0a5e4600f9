package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A handler bundle started the way README says: a project generated from the archetype
 * (io.handlerregistry:handler-archetype), in C and in Rust, built by its own {@code mvn package} outside
 * this build, dropped into the container's deploy/ and called there with handler:call. The bundle carries
 * the library for this machine's platform only and says so in its manifest; its build prints no warning.
 */
class HandlerArchetypeTest {
    private static final String VERSION = System.getProperty("project.version");
    private static final String ARCHETYPE_PLUGIN = "org.apache.maven.plugins:maven-archetype-plugin:"
            + System.getProperty("archetype.plugin.version") + ":generate";

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"c", "rust"})
    void aGeneratedProjectBuildsAHandlerBundleThatTheContainerServes(String language) throws Exception {
        assumeCargoFor(language);
        String endpoint = "hello-" + language;
        Maven maven = new Maven(work);

        Path projects = Files.createDirectories(work.resolve("projects"));
        maven.run(projects, work.resolve("generate.log"), ARCHETYPE_PLUGIN, "-DarchetypeCatalog=local",
                "-DarchetypeGroupId=io.handlerregistry",
                "-DarchetypeArtifactId=handler-archetype", "-DarchetypeVersion=" + VERSION, "-DgroupId=com.example",
                "-DartifactId=" + endpoint + "-handler", "-Dendpoint=" + endpoint, "-Dlanguage=" + language);
        Path project = projects.resolve(endpoint + "-handler");
        assertThat(project.resolve("src/main/c/handler.c").toFile().exists()).isEqualTo(language.equals("c"));
        assertThat(project.resolve("Cargo.toml").toFile().exists()).isEqualTo(language.equals("rust"));

        Maven.Build build = maven.run(project, work.resolve("package.log"), "package");
        // JDK 24+ warns about Maven 3.8's own guava (sun.misc.Unsafe) in every build: not the project's
        String output = build.output().replaceAll("(?m)^WARNING: (A terminally deprecated method in sun\\.misc\\.Unsafe"
                + "|sun\\.misc\\.Unsafe::|Please consider reporting this to the maintainers of class com\\.google\\.).*\\n", "");
        assertThat(output).as("the build of the generated project warns of nothing:\n%s", build.output())
                .doesNotContainPattern("(?i)warn");

        Path jar = project.resolve("target/" + endpoint + "-handler-1.0.0-SNAPSHOT.jar");
        String platform = platform();
        try (JarFile bundle = new JarFile(jar.toFile())) {
            Attributes manifest = bundle.getManifest().getMainAttributes();
            assertThat(manifest.getValue("Bundle-Activator")).isEqualTo("io.handlerregistry.bundle.NativeHandlerActivator");
            assertThat(manifest.getValue("Import-Package")).matches("io\\.handlerregistry\\.bundle;version=\"\\[1\\.\\d+,2\\)\"");
            assertThat(manifest.getValue("Handler-Endpoint")).isEqualTo(endpoint);
            assertThat(manifest.getValue("Bundle-SymbolicName")).isEqualTo("com.example." + endpoint + "-handler");
            // exactly the platform built here, named as the activator looks for it
            assertThat(manifest.getValue("Require-Capability")).isEqualTo("osgi.native;filter:=\"(|(&(osgi.native.osname~="
                    + (platform.startsWith("darwin-") ? "macosx" : "linux") + ")(osgi.native.processor~="
                    + platform.substring(platform.indexOf('-') + 1) + ")))\"");
            List<String> libraries = new ArrayList<>();
            for (var entry : Collections.list(bundle.entries())) {
                if (entry.getName().startsWith("native/") && !entry.isDirectory()) {
                    libraries.add(entry.getName());
                }
            }
            assertThat(libraries).containsExactly("native/" + platform + "/libhandler_" + endpoint
                    + (platform.startsWith("darwin-") ? ".dylib" : ".so"));
        }

        Container container = new Container(work);
        container.deploy(jar, endpoint + ".jar");
        Path big = work.resolve("big.txt");
        Files.writeString(big, "x".repeat(100_000)); // larger than the host's 64 KiB scratch buffer
        Container.Run run = container.run("handler:call " + endpoint + " world", "handler:call " + endpoint,
                "handler:call -f " + big + " " + endpoint, "handler:deployments");
        assertThat(run.exit()).as("%s", run).isZero();
        assertThat(run.out()).contains("status 200 from endpoint '" + endpoint + "'", "\nhello world\n")
                .contains("status 400 from endpoint '" + endpoint + "'", "send a body to be greeted")
                .contains("hello xxxxxxxx", "(100006 bytes in all)")
                .containsPattern(endpoint + "\\.jar +SERVING +\\d+ +com\\.example\\." + endpoint
                        + "-handler 1\\.0\\.0\\.\\d{12}");
    }

    @Test
    void readmeGeneratesWithTheArchetypeOfThisBuild() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("readme", "../README.md")));
        assertThat(readme).contains("mvn -B " + ARCHETYPE_PLUGIN + " -DarchetypeCatalog=local \\\n")
                .contains("-DarchetypeGroupId=io.handlerregistry -DarchetypeArtifactId=handler-archetype -DarchetypeVersion="
                        + VERSION + " ");
    }

    /** This machine's platform as JNA names it (and so handler bundles' native/ folders). */
    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        String processor = arch.equals("amd64") || arch.equals("x86_64") ? "x86-64" : arch;
        return (os.startsWith("mac") ? "darwin" : "linux") + "-" + processor;
    }

    /**
     * Rust needs cargo: skipped where it is missing (README asks only for gcc), except in CI, whose .ci/run
     * installs it.
     */
    private static void assumeCargoFor(String language) throws IOException {
        if (!language.equals("rust")) {
            return;
        }
        boolean cargo = Files.isExecutable(Path.of(System.getProperty("user.home"), ".cargo/bin/cargo"));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            cargo |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, "cargo"));
        }
        if (!cargo && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("cargo is not installed: .ci/run installs it");
        }
        assumeTrue(cargo, "cargo is not installed: the Rust handler project is not tried");
    }
}
