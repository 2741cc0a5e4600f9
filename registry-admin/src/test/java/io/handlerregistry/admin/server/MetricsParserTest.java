package io.handlerregistry.admin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The test's parser of the exposition formats accepts what the formats allow and refuses the rest. */
class MetricsParserTest {
    private static final String GOOD = "# HELP a_requests Requests.\n"
            + "# TYPE a_requests counter\n"
            + "a_requests_total{endpoint=\"e\",outcome=\"ok\"} 3.0\n"
            + "a_requests_total{endpoint=\"q\\\"\\\\\\n\",outcome=\"ok\"} 1\n"
            + "# TYPE a_seconds histogram\n"
            + "a_seconds_bucket{le=\"0.1\"} 1\n"
            + "a_seconds_bucket{le=\"+Inf\"} 2\n"
            + "a_seconds_count 2\n"
            + "# TYPE up gauge\n"
            + "up 1 1700000000000\n";

    @Test
    void aGoodTextIsReadWithItsValuesAndEscapes() {
        MetricsParser.Scrape s = MetricsParser.parse(GOOD, false);
        assertThat(s.value("a_requests_total", "endpoint", "e", "outcome", "ok")).isEqualTo(3.0);
        assertThat(s.value("a_requests_total", "endpoint", "q\"\\\n", "outcome", "ok")).isEqualTo(1.0);
        assertThat(s.value("a_seconds_count")).isEqualTo(2.0);
        assertThat(s.value("up")).isEqualTo(1.0);
        assertThat(s.types()).containsEntry("a_seconds", "histogram");
    }

    @Test
    void openMetricsNeedsEofAtTheEndAndNothingAfterIt() {
        assertThat(MetricsParser.parse(GOOD + "# EOF\n", true).samples()).hasSize(6);
        assertThatThrownBy(() -> MetricsParser.parse(GOOD, true)).hasMessageContaining("EOF");
        assertThatThrownBy(() -> MetricsParser.parse(GOOD + "# EOF\nup 1\n", true)).hasMessageContaining("after");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "untyped_sample 1\n",
        "# TYPE g gauge\ng{a=\"1\"} one\n",
        "# TYPE g gauge\ng{a=1} 1\n",
        "# TYPE g gauge\ng{1a=\"1\"} 1\n",
        "# TYPE g gauge\ng{a=\"1\",a=\"2\"} 1\n",
        "# TYPE g gauge\ng{a=\"\\t\"} 1\n",
        "# TYPE g gauge\ng 1\ng 2\n",
        "# TYPE g gauge\ng 1\n# TYPE h gauge\nh 1\ng 2\n",
        "# TYPE c counter\nc_bucket 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
        "# TYPE g gauge\ng 1",
        "# TYPE g nonsense\ng 1\n",
    })
    void whatTheFormatDoesNotAllowIsRefused(String text) {
        assertThatThrownBy(() -> MetricsParser.parse(text, false)).isInstanceOf(IllegalArgumentException.class);
    }
}
