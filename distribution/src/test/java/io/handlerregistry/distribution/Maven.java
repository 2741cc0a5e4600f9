package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Maven as a user runs it on a project of their own (the Maven that runs this build, on this JVM), with
 * the local repository a user has after {@code mvn install} of this checkout: the build stages this
 * build's registry-core and archetype in {@code handler.project.repository}, and everything else (plugins,
 * JNA, ...) comes from this build's own local repository, read as a repository ({@code file:}) so that
 * these builds never reach the network ({@code -o}, with files allowed) and never write into it.
 */
final class Maven {
    static final Path REPOSITORY = Path.of(System.getProperty("handler.project.repository",
            "target/handler-project-repository"));
    private static final Path OUTER_REPOSITORY = Path.of(System.getProperty("outer.repository",
            System.getProperty("user.home") + "/.m2/repository"));
    private static final Path HOME = Path.of(System.getProperty("maven.home", "/usr/share/maven"));

    private final Path settings;

    /** Writes the settings these builds use (as user and global settings) into {@code work}. */
    Maven(Path work) throws IOException {
        settings = work.resolve("maven-settings.xml");
        String repository = """
                <id>central</id><url>%s</url>
                <releases><checksumPolicy>ignore</checksumPolicy></releases>
                <snapshots><enabled>false</enabled></snapshots>""".formatted(OUTER_REPOSITORY.toUri());
        Files.writeString(settings, """
                <settings>
                  <profiles>
                    <profile>
                      <id>this-build</id>
                      <repositories><repository>%s</repository></repositories>
                      <pluginRepositories><pluginRepository>%s</pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>this-build</activeProfile></activeProfiles>
                </settings>
                """.formatted(repository, repository));
    }

    /** Runs mvn with these arguments in {@code directory}; its output goes to {@code log}. */
    Build run(Path directory, Path log, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/mvn").toString(), "-B", "-ntp", "-o",
                "-Daether.offline.protocols=file", "-Dstyle.color=never", "-s", settings.toString(), "-gs",
                settings.toString(), "-Dmaven.repo.local=" + REPOSITORY));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("MAVEN_OPTS");
        builder.environment().remove("MAVEN_ARGS");
        Process process = builder.start();
        // a safety net only: a build of a few seconds that hangs fails the test instead of the whole run
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("mvn " + String.join(" ", arguments) + " did not end within 10 minutes:\n"
                    + Files.readString(log));
        }
        // Maven 3.8's console library writes colour resets even with style.color=never: cut out
        String output = Files.readString(log).replaceAll("\u001B\\[[0-9;]*m", "");
        Build build = new Build(process.exitValue(), output, String.join(" ", arguments));
        assertThat(build.exit()).as("%s", build).isZero();
        return build;
    }

    /** One build's exit status and output. */
    record Build(int exit, String output, String arguments) {
        @Override
        public String toString() {
            return "mvn " + arguments + " exited with " + exit + " (the plugins such a build needs must be in this"
                    + " build's local repository, " + OUTER_REPOSITORY + ", at the versions it uses):\n" + output;
        }
    }
}
