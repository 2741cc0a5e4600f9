package io.handlerregistry.distribution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.stream.Stream;

/** A fresh copy of the built distribution (target/handler-registry) for one test to start and change. */
final class Installation {
    static final Path DIST = Path.of(System.getProperty("dist.dir", "target/handler-registry"));
    /**
     * What the build puts into deploy/ and handlers/ (pom.xml, dist-examples and dist-handler-libraries):
     * README has users drop their own jars and libraries into the built container, which the tests
     * must not start with.
     */
    private static final Set<String> EXAMPLES = Set.of("deploy/echo.jar", "deploy/greeting.jar", "handlers/README.txt",
            "handlers/libhandler_echo.so", "handlers/libhandler_greeting.so", "handlers/libhandler_slow.so",
            "handlers/libhandler_crashy.so");

    private Installation() {
    }

    /** Copies the distribution to {@code work}/handler-registry, without what a run or a user left there; returns it. */
    static Path copy(Path work) throws IOException {
        Path home = work.resolve("handler-registry");
        try (Stream<Path> files = Files.walk(DIST)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = home.resolve(DIST.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else if (!isStateOfARun(DIST.relativize(source))) {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        httpPort(home, 0); // tests run side by side, and beside a container a user started on 8080
        adminPort(home, 0); // and on 9090
        return home;
    }

    /** Sets the port of the installation's HTTP front (0: any free one). */
    static void httpPort(Path home, int port) throws IOException {
        Path config = home.resolve("conf/io.handlerregistry.http.cfg");
        Files.writeString(config, Files.readString(config).replaceAll("(?m)^port=.*$", "port=" + port));
    }

    /** Sets the port of the installation's admin front (0: any free one). */
    static void adminPort(Path home, int port) throws IOException {
        Path config = home.resolve("conf/io.handlerregistry.admin.cfg");
        Files.writeString(config, Files.readString(config).replaceAll("(?m)^port=.*$", "port=" + port));
    }

    /**
     * What a run leaves in the home (framework cache, class data archive, history) and what was dropped
     * into deploy/ or handlers/ by hand: not part of an install.
     */
    private static boolean isStateOfARun(Path relative) {
        String first = relative.getName(0).toString();
        return first.equals("felix-cache") || first.equals("var")
                || (first.equals("deploy") || first.equals("handlers"))
                        && !EXAMPLES.contains(relative.toString().replace('\\', '/'));
    }
}
