package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void aLongLastCellWrapsUnderItsColumnAndNoLineIsWiderThanOneHundred() {
        String detail = "not deployed: io.handlerregistry.handler.greeting 3.0.0 failed to start: handler_init of"
                + " /var/lib/handler-registry/felix-cache/bundle17/version0.0/libhandler_greeting.so returned -22"
                + " (EINVAL); the running version keeps serving; fix the library and copy the jar again";
        String text = new Table("file", "state", "bundle", "detail").row("greeting-v3.jar", "FAILED", 17, detail)
                .row("echo.jar", "SERVING", 14, "serves endpoint 'echo'").toString();

        List<String> lines = text.lines().collect(java.util.stream.Collectors.toList());
        assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(Table.WIDTH));
        int column = lines.get(0).indexOf("detail");
        assertThat(lines.get(1)).matches("-{" + Table.WIDTH + "}"); // the rule: as wide as the table, no wider
        assertThat(lines.get(2)).startsWith("greeting-v3.jar  FAILED   17      not deployed:");
        assertThat(lines.subList(3, lines.size() - 1)).allSatisfy(line -> assertThat(line)
                .startsWith(" ".repeat(column)).doesNotStartWith(" ".repeat(column + 1)));
        // all of it is there (a word longer than the column is cut where the column ends)
        assertThat(String.join("", lines.subList(2, lines.size() - 1)).replaceAll("\\s+", ""))
                .contains(detail.replaceAll("\\s+", ""));
        assertThat(lines.get(lines.size() - 1)).startsWith("echo.jar         SERVING  14      serves endpoint");
    }

    @Test
    void aNarrowTableKeepsItsWidthAndShowsMissingCellsAsDashes() {
        String text = new Table("endpoint", "version").row("echo", null).toString();
        assertThat(text).isEqualTo("endpoint  version\n-----------------\necho      -\n");
        assertThat(new Table("a").toString()).endsWith("(none)\n");
    }
}
