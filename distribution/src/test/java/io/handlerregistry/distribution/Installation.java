package io.handlerregistry.distribution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** A fresh copy of the built distribution (target/handler-registry) for one test to start and change. */
final class Installation {
    static final Path DIST = Path.of(System.getProperty("dist.dir", "target/handler-registry"));

    private Installation() {
    }

    /** Copies the distribution to {@code work}/handler-registry, without what a run left there; returns it. */
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
        return home;
    }

    /** What a run leaves in the home (framework cache, class data archive, history): not part of an install. */
    private static boolean isStateOfARun(Path relative) {
        String first = relative.getName(0).toString();
        return first.equals("felix-cache") || first.equals("var");
    }
}
