package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** handler:log reads the container's log file as the launcher's LogFile writes and rotates it. */
class LogTailTest {
    @TempDir
    Path dir;

    @Test
    void theLastLinesGoOnIntoTheRotatedFilesBeforeIt() throws IOException {
        Path log = dir.resolve("handler-registry.log");
        Files.writeString(dir.resolve("handler-registry.log.2"), "a1\na2\n");
        Files.writeString(dir.resolve("handler-registry.log.1"), "b1\nb2\nb3\n");
        Files.writeString(log, "c1\nc2\n");

        assertThat(new LogTail(log).last(1)).containsExactly("c2");
        assertThat(new LogTail(log).last(2)).containsExactly("c1", "c2");
        assertThat(new LogTail(log).last(4)).containsExactly("b2", "b3", "c1", "c2");
        assertThat(new LogTail(log).last(100)).containsExactly("a1", "a2", "b1", "b2", "b3", "c1", "c2");
        assertThat(new LogTail(log).last(0)).isEmpty();
    }

    @Test
    void longFilesAreReadFromTheEndAcrossChunks() throws IOException {
        Path log = dir.resolve("handler-registry.log");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("line ").append(i).append(" é\n"); // 2-byte characters across chunk borders
        }
        Files.writeString(log, text, StandardCharsets.UTF_8);

        List<String> last = new LogTail(log).last(15_000);
        assertThat(last).hasSize(15_000).startsWith("line 5000 é").endsWith("line 19999 é");
    }

    @Test
    void aMissingFileIsSaid() {
        assertThatThrownBy(() -> new LogTail(dir.resolve("none.log")).last(5)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void followingGoesOnAcrossARotationUntilInterrupted() throws Exception {
        Path log = dir.resolve("handler-registry.log");
        Files.writeString(log, "before\n");
        LogTail tail = new LogTail(log);
        assertThat(tail.last(10)).containsExactly("before");
        List<String> followed = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread follower = new Thread(() -> {
            try {
                tail.follow(followed::add, 10);
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        follower.start();

        append(log, "one\ntw");
        await().until(() -> followed.contains("one"));
        append(log, "o\n"); // a line written in two parts is one line
        await().until(() -> followed.contains("two"));
        // rotation as LogFile does it: the file is renamed to .1 (what was written last still read), a new one started
        append(log, "last of the old\n");
        Files.move(log, dir.resolve("handler-registry.log.1"));
        Files.writeString(log, "first of the new\n");
        await().until(() -> followed.contains("first of the new"));
        append(log, "three\n");
        await().until(() -> followed.contains("three"));

        follower.interrupt();
        follower.join();
        assertThat(failed.get()).isNull();
        assertThat(followed).containsExactly("one", "two", "last of the old", "first of the new", "three");
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.APPEND);
    }
}
