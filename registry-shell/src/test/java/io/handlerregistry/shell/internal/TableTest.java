package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class TableTest {
    private static final String DETAIL = "not deployed: io.handlerregistry.handler.greeting 3.0.0 failed to start:"
            + " handler_init of libhandler_greeting.so (bundle 17)"
            + " returned -22 (EINVAL); the running version keeps serving; fix the library and copy the jar again";

    @Test
    void aLongLastCellWrapsAtSpacesUnderItsColumnWithinTheWidth() {
        String text = new Table(Screen.width(100), "file", "state", "bundle", "detail")
                .row("greeting-v3.jar", "FAILED", 17, DETAIL).row("echo.jar", "SERVING", 14, "serves endpoint 'echo'")
                .toString();

        List<String> lines = text.lines().collect(Collectors.toList());
        assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(100));
        int column = lines.get(0).indexOf("detail");
        assertThat(lines.get(1)).matches("-{100}"); // the rule: as wide as the table
        assertThat(lines.get(2)).startsWith("greeting-v3.jar  FAILED   17      not deployed:");
        assertThat(lines.subList(3, lines.size() - 1)).allSatisfy(line -> assertThat(line)
                .startsWith(" ".repeat(column)).doesNotStartWith(" ".repeat(column + 1)));
        assertWordsWhole(text, DETAIL);
        assertThat(lines.get(lines.size() - 1)).startsWith("echo.jar         SERVING  14      serves endpoint");
    }

    @Test
    void theWidestColumnsGiveWayFirstAndEveryCellWrapsAtSpaces() {
        String isolation = "process (pid 123456,123457), 12 restarts";
        String text = new Table(Screen.width(60), "endpoint", "isolation", "calls", "source")
                .row("imaging", isolation, 5, "bundle io.handlerregistry.handler.imaging 2.0.0 [31] (service 77)")
                .toString();

        assertThat(text.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(60));
        assertWordsWhole(text, isolation);
        assertWordsWhole(text, "bundle io.handlerregistry.handler.imaging 2.0.0 [31] (service 77)");
        assertThat(text.lines().skip(2).findFirst().orElseThrow()).startsWith("imaging   process");
    }

    @Test
    void columnsThatCannotFitBesideTheOthersGoOnLinesOfTheirOwnUnderTheRow() {
        String source = "/home/someone/projects/handler-registry/distribution/target/handler-registry/handlers/libhandler_echo.so";
        String text = new Table(Screen.width(40), "endpoint", "version", "state", "source")
                .row("echo", "gen1", "ACTIVE", source).toString();

        assertThat(text).isEqualTo("endpoint  version  state\n"
                + "-------------------------\n"
                + "echo      gen1     ACTIVE\n"
                + "  source:\n"
                + "    " + source); // a word wider than the terminal stays whole, on a line of its own
    }

    @Test
    void aCellWithAWordTooLongForItsColumnGoesUnderTheRowWrappedThere() {
        String detail = "handler_init of /var/lib/handler-registry/felix-cache/bundle17/version0.0/libhandler_greeting.so"
                + " returned -22 (EINVAL); the running version keeps serving";
        String text = new Table(Screen.width(80), "file", "state", "bundle", "detail")
                .row("greeting-v3.jar", "FAILED", 17, detail).toString();

        assertThat(text).startsWith("file             state   bundle\n"
                + "-------------------------------\n"
                + "greeting-v3.jar  FAILED  17\n"
                + "  detail: handler_init of\n"
                + "          /var/lib/handler-registry/felix-cache/bundle17/version0.0/libhandler_greeting.so\n"
                + "          returned -22 (EINVAL); the running version keeps serving");
    }

    @Test
    void withoutATerminalEveryRowIsWholeOnOneLine() {
        String text = new Table("file", "state", "bundle", "detail").row("greeting-v3.jar", "FAILED", 17, DETAIL)
                .toString();
        assertThat(text.lines()).hasSize(3);
        assertThat(text.lines().skip(2).findFirst().orElseThrow()).endsWith(DETAIL);
    }

    @Test
    void noFormatIsTheRowsAloneWithTabs() {
        assertThat(new Table(Screen.noFormat(), "endpoint", "version").row("echo", null).row("a b", 2).toString())
                .isEqualTo("echo\t-\na b\t2");
    }

    @Test
    void aNarrowTableKeepsItsWidthAndShowsMissingCellsAsDashes() {
        String text = new Table(Screen.width(80), "endpoint", "version").row("echo", null).toString();
        assertThat(text).isEqualTo("endpoint  version\n-----------------\necho      -");
        assertThat(new Table("a").toString()).endsWith("(none)");
    }

    /** Each word of {@code text} is on one line of the table, unbroken. */
    private static void assertWordsWhole(String table, String text) {
        List<String> words = Arrays.stream(table.split("\\s+")).collect(Collectors.toList());
        assertThat(words).containsAll(Arrays.asList(text.split(" ")));
    }
}
