package io.handlerregistry.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every benchmark and measurement once, briefly, so that they keep working; the numbers of
 * such a run mean nothing (benchmarks/run.sh makes the real ones).
 */
class BenchmarksSmokeTest {
    @TempDir
    Path work;

    @Test
    void everyBenchmarkRunsAndTheReportHasEverySection() throws Exception {
        Path report = work.resolve("BENCHMARKS.md");
        RunAll.main(new String[] {"smoke", report.toString(), System.getProperty("bench.dist.dir")});

        String text = Files.readString(report);
        assertThat(text).contains("## 1. Dispatch cost", "## 2. Throughput", "## 3. Graceful swap",
                "## 4. 20 graceful swaps", "## 5. Container start", "## 6. Latency recording",
                "## 7. Process isolation", "## 8. Call path per JDK", "## 9. HTTP front", "## 10. What metrics cost");
        String metrics = text.substring(text.indexOf("## 10. What metrics cost"));
        assertThat(metrics).containsPattern("\\| 1 \\| \\d+\\.\\d+ \\(\\d+\\.\\d+ – \\d+\\.\\d+\\) \\| \\d+ / \\d+ \\|")
                .contains("Target in-process call with metrics scraped ≤ 1.05")
                .containsPattern("/metrics with 100 endpoints: median \\d+\\.\\d ms");
        if (HttpBench.tool("wrk") != null) {
            assertThat(metrics).contains("Target HTTP front's CPU per request with the answers counted per endpoint");
        }
        int jdk = Runtime.version().feature();
        assertThat(text).containsPattern("\\| " + jdk + " \\| (JNA [\\d.]+|java\\.lang\\.foreign) \\| \\d+ \\| \\d+ \\| (\\d+|–) \\|")
                .containsPattern("\\| " + jdk + " \\| \\d+ \\| \\d+ \\| [\\d.]+ \\| [\\d.]+ \\| -?\\d+ ns \\|")
                .contains(jdk >= 22 ? "Target JDK " + jdk + ": registry / raw FFM" : "Target JDK " + jdk
                        + ": registry / raw JNA ≤ 1.2");
        assertThat(text).containsPattern("\\| 1 \\| [\\d.]+ (ns|µs) / [\\d.]+.* \\| [\\d.]+ / [\\d.]+ ms \\| [\\d.]+ MiB / [\\d.]+ MiB \\|")
                .contains("Target process p50 ≤ 5 µs", "Target crash to serving again ≤ 100 ms");
        assertThat(text).containsPattern("\\| off \\| \\d+\\.\\d+ \\| \\d+\\.\\d+ \\| \\d+ \\|")
                .containsPattern("\\| 1 in 16 \\| \\d+\\.\\d+ \\|").contains("| every call |");
        assertThat(text).contains("| no-op |", "| echo | 64 B |", "| echo | 4 KiB |", "| echo | 64 KiB |");
        assertThat(text).contains("| run | ratio: median", "| run | registry: median", "The JNA call alone");
        assertThat(text).containsPattern("\\| 1 \\| \\d+\\.\\d+ \\(\\d+\\.\\d+ – \\d+\\.\\d+\\) \\|");
        assertThat(text).doesNotContain("NaN", "null");
        // correctness of the soak, whatever the timing: nothing left behind
        assertThat(text).contains("Target mappings back to the start: **met**")
                .contains("Target copies deleted (1 left: the active version): **met**");
        assertThat(text).contains("### 20 replaces through the container's deploy folder")
                .containsPattern("\\| live heap \\(bytes\\) \\| \\d+ \\| \\d+ \\|");
        httpSection(text.substring(text.indexOf("## 9. HTTP front")));
    }

    /** Section 9 with what this machine has of wrk, h2load and nginx; a missing one is named. */
    private static void httpSection(String text) {
        boolean wrk = HttpBench.tool("wrk") != null;
        boolean h2load = HttpBench.tool("h2load") != null;
        boolean nginx = HttpBench.tool("nginx") != null;
        String row = "\\| 64 B \\| 16 \\| %s \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| 0 / 0 \\|";
        if (wrk) {
            assertThat(text).contains("### HTTP/1.1 (wrk -t2)", "Target HTTP/1.1: (a) / (c) ≥ 0.85 in requests/s")
                    .containsPattern(String.format(row, "\\(a\\) front → echo, in-process"))
                    .containsPattern(String.format(row, "\\(b\\) front → echo, process isolation"))
                    .containsPattern(String.format(row, "\\(c\\) bare Jetty"))
                    .contains("HTTP/1.1, every run of the front, (a) and (b): no non-2xx answer and no socket error")
                    // the swap run: answers by both versions, nothing else (how many swaps fell within its few
                    // seconds depends on the machine's speed: the report says)
                    .containsPattern("\\| during \\d swaps \\| [\\d,]+ \\| .* \\| [1-9]\\d* / [1-9]\\d* / 0 \\| 0 \\| 0 \\|")
                    .contains("Target swap run: 0 non-2xx, 0 socket errors, 2 swaps under load: ");
        } else {
            assertThat(text).contains("wrk is not installed");
        }
        if (h2load) {
            assertThat(text).contains("### h2c (h2load", "h2c, every run of the front, (a) and (b): no non-2xx answer and no socket error")
                    .containsPattern(String.format(row, "\\(c\\) bare Jetty"));
        } else {
            assertThat(text).contains("h2load is not installed");
        }
        if (nginx && (wrk || h2load)) {
            assertThat(text).containsPattern(String.format(row, "\\(d\\) nginx"));
        } else if (!nginx) {
            assertThat(text).contains("nginx is not installed");
        }
        // the floors answered as the front did: status 200, the body's size, the same headers (nginx: and its own)
        assertThat(text).containsPattern("\\| \\(a\\) front → echo, in-process \\| (\\d+) B \\|");
    }
}
