package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console's log lines at the prompt: in order, and held while a live line runs. */
class LogAbovePromptTest {
    private final List<String> printed = new CopyOnWriteArrayList<>();
    private final List<String> toStderr = new CopyOnWriteArrayList<>();
    private volatile boolean terminalClosed;
    private final LogAbovePrompt prompt = new LogAbovePrompt(line -> {
        if (terminalClosed) {
            throw new IllegalStateException("Terminal has been closed"); // as JLine's, at Ctrl-D
        }
        printed.add(line);
    }, toStderr::add);

    LogAbovePromptTest() {
        prompt.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord record) {
                return record.getLevel() + " " + record.getMessage() + System.lineSeparator();
            }
        });
        prompt.setLevel(Level.INFO);
    }

    @AfterEach
    void close() {
        prompt.close();
    }

    @Test
    void linesArePrintedInOrderWithoutTheirLineEndAndAtTheirLevel() {
        log("one");
        prompt.publish(new LogRecord(Level.FINE, "too fine"));
        log("two");
        await().until(() -> printed.size() == 2);
        assertThat(printed).containsExactly("INFO one", "INFO two");
    }

    @Test
    void heldLinesComeWhenTheHoldEndsBeforeItReturns() {
        log("before");
        await().until(() -> printed.size() == 1);
        ShellTerminal.Restore hold = prompt.hold(true);
        log("during 1");
        log("during 2");
        prompt.flush(); // held: flushing writes nothing either
        assertThat(printed).containsExactly("INFO before");

        hold.close();
        assertThat(printed).containsExactly("INFO before", "INFO during 1", "INFO during 2");
    }

    @Test
    void linesLoggedWhileTheLogIsShownAnotherWayAreDropped() {
        ShellTerminal.Restore hold = prompt.hold(false);
        log("shown by handler:log --follow");
        hold.close();
        log("after");
        await().until(() -> printed.size() == 1);
        assertThat(printed).containsExactly("INFO after");
    }

    @Test
    void beyondWhatIsKeptTheLinesAreCounted() {
        ShellTerminal.Restore hold = prompt.hold(true);
        for (int i = 0; i < LogAbovePrompt.MAX_WAITING + 5; i++) {
            log("line " + i);
        }
        hold.close();
        assertThat(printed).hasSize(LogAbovePrompt.MAX_WAITING + 1).startsWith("INFO line 0")
                .endsWith("(5 more log lines not shown here: see handler:log)");
    }

    @Test
    void onceTheTerminalIsClosedLinesGoToTheFallback() {
        log("at the prompt");
        await().until(() -> printed.size() == 1);
        terminalClosed = true;
        log("while stopping");
        log("stopped");
        await().until(() -> toStderr.size() == 2);
        assertThat(toStderr).containsExactly("INFO while stopping", "INFO stopped");
        assertThat(printed).containsExactly("INFO at the prompt");
    }

    private void log(String message) {
        prompt.publish(new LogRecord(Level.INFO, message));
    }
}
