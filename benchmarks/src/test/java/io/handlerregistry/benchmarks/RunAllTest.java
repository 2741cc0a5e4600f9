package io.handlerregistry.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a run of single sections rewrites the report: its sections in place, the findings from their file. */
class RunAllTest {
    private static final String REPORT = "# Benchmarks\n\n## 1. One\nold one\n\n## 2. Two\nold two\n\n## Findings\nold finding\n";

    @Test
    void aSectionRunReplacesItsSectionAndTheFindingsComeFromTheirFile() {
        String text = RunAll.splice(REPORT, 2, "\n## 2. Two\nnew two\n");
        text = RunAll.withFindings(text, "## Findings\nold finding\n\nnew finding\n");

        assertThat(text).isEqualTo("# Benchmarks\n\n## 1. One\nold one\n\n## 2. Two\nnew two\n\n## Findings\nold finding\n\n"
                + "new finding\n");
    }

    @Test
    void withoutAFindingsFileTheReportKeepsItsFindings() {
        assertThat(RunAll.withFindings(REPORT, "")).isEqualTo(REPORT);
    }
}
