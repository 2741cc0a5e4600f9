package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Times as the commands show them: the unit changes where the number would reach 1,000 of it. */
class UnitsTest {
    @ParameterizedTest(name = "{0} ns: {1}")
    @CsvSource({
        "171, 0.2 µs",
        "9999, 10.0 µs",
        "10000, 10 µs",
        "999400, 999 µs",
        "999600, 1.0 ms", // not "1000 µs"
        "1000000, 1.0 ms",
        "12345678, 12.3 ms",
        "999900000, 999.9 ms",
        "999960000, 1.0 s",
        "12000000000, 12.0 s",
    })
    void aTimeIsShownInTheUnitThatKeepsItsNumberBelowAThousand(long nanos, String shown) {
        assertThat(Units.nanos(nanos)).isEqualTo(shown);
    }
}
