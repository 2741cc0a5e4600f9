package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;

/** Every version records the latencies of a sample of its calls, cheaply enough for the call path. */
class LatenciesTest {
    @TempDir
    Path copies;

    @Test
    void bucketsAreAQuarterOfAPowerOfTwoWide() {
        assertThat(Latencies.bucket(0)).isZero();
        assertThat(Latencies.bucket(63)).isZero();
        for (long nanos = 64; nanos < 1L << 38; nanos = nanos * 5 / 4 + 1) {
            int bucket = Latencies.bucket(nanos);
            assertThat(Latencies.upperBound(bucket)).as("bound of %d ns", nanos).isGreaterThanOrEqualTo(nanos)
                    .isLessThanOrEqualTo(nanos + nanos / 4);
            assertThat(Latencies.upperBound(bucket - 1)).isLessThan(nanos);
        }
        assertThat(Latencies.bucket(Long.MAX_VALUE)).isEqualTo(Latencies.BUCKETS - 1);
    }

    @Test
    void percentilesComeFromTheBucketsAndSnapshotsSubtract() {
        long[] counts = new long[Latencies.BUCKETS];
        counts[Latencies.bucket(1_000)] = 98;
        counts[Latencies.bucket(50_000)] = 2;
        Latencies latencies = new Latencies(counts, 16);
        assertThat(latencies.count()).isEqualTo(100);
        assertThat(latencies.percentileNanos(50)).isBetween(1_000L, 1_250L);
        assertThat(latencies.percentileNanos(99)).isBetween(50_000L, 62_500L);
        assertThat(latencies.since(latencies).count()).isZero();
        assertThat(latencies.since(Latencies.none(16)).percentileNanos(99)).isEqualTo(latencies.percentileNanos(99));
        assertThat(Latencies.none(16).percentileNanos(50)).isEqualTo(-1);
    }

    @Test
    void aVersionTimesOneCallInSixteen() {
        try (NativeHandlerRegistry registry = NativeHandlerRegistry.builder(TestLibraries.dir()).copyDirectory(copies)
                .build()) {
            LoadedHandler echo = registry.load("echo");
            for (int i = 0; i < 1_600; i++) {
                registry.execute("echo", RequestContext.create(), HandlerRequest.of("x"));
            }
            Latencies latencies = echo.latencies();
            assertThat(latencies.sampling()).isEqualTo(16);
            assertThat(latencies.count()).isEqualTo(100); // one thread: exactly every 16th call
            assertThat(latencies.percentileNanos(50)).isPositive();
        }
    }
}
