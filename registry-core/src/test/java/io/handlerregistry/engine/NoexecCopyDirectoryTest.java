package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerLoadException;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.RequestContext;

/**
 * A copy directory on a real file system mounted {@code noexec} (a tmpfs mounted for the test; it
 * needs root, as CI has, and is skipped where mounting is not allowed): refused at start with the
 * mount named, and, when the mount comes after the start, every load fails with the copy and the
 * cause named while the running version keeps serving.
 */
class NoexecCopyDirectoryTest {
    @TempDir
    Path work;

    private final List<Path> mounted = new ArrayList<>();

    @AfterEach
    void unmount() throws Exception {
        for (Path point : mounted) {
            run("umount", "-l", point.toString());
        }
    }

    @Test
    void aCopyDirectoryOnANoexecMountIsRefusedAtStart() throws Exception {
        Path noexec = mountNoexec(work.resolve("noexec"));

        assertThatThrownBy(() -> NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(noexec.resolve("copies"))
                .build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is on " + noexec + ", mounted noexec: no library can be loaded from it")
                .hasMessageContaining("copy.directory");
    }

    @Test
    void aCopyDirectoryMountedNoexecAfterTheStartFailsEachLoadNamingTheCopyAndTheCause() throws Exception {
        Path copies = Files.createDirectories(work.resolve("copies"));
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .build()) {
            registry.load("echo");
            mountNoexec(copies); // over the running registry's directory: the loaded copy stays mapped

            assertThatThrownBy(() -> registry.swap("echo", TestLibraries.version("v2", "greeting")))
                    .isInstanceOfSatisfying(HandlerLoadException.class,
                            e -> assertThat(e.reason()).isEqualTo(HandlerLoadException.Reason.LOAD_FAILED))
                    .hasMessageContaining("its private copy " + copies)
                    .hasMessageContaining("mounted noexec");
            assertThat(registry.execute("echo", RequestContext.create(), HandlerRequest.of("still")).bodyAsString())
                    .isEqualTo("still");
        }
    }

    /** Mounts a small tmpfs with noexec at {@code point}, or skips the test where that is not allowed. */
    private Path mountNoexec(Path point) throws Exception {
        Files.createDirectories(point);
        int exit = run("mount", "-t", "tmpfs", "-o", "noexec,size=16m", "tmpfs", point.toString());
        assumeTrue(exit == 0, "mounting a tmpfs needs root (CAP_SYS_ADMIN)");
        mounted.add(point);
        return point;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
