package io.handlerregistry.admin.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The labels of {@code handler_version_info} stay the same across restarts of the framework. */
class RegistryMetricsTest {
    @Test
    void theSourceLabelLeavesOutTheIdsARestartChanges() {
        assertThat(RegistryMetrics.stableSource("bundle io.handlerregistry.handler.greeting 1.0.0 [53] (service 148)"))
                .isEqualTo("bundle io.handlerregistry.handler.greeting 1.0.0");
        assertThat(RegistryMetrics.stableSource("bundle io.handlerregistry.handler.greeting 1.0.0 [61] (service 203)"))
                .isEqualTo(RegistryMetrics.stableSource("bundle io.handlerregistry.handler.greeting 1.0.0 [53] (service 148)"));
        assertThat(RegistryMetrics.stableSource("/srv/handlers/libhandler_echo [v2].so"))
                .as("a library's path is kept as it is").isEqualTo("/srv/handlers/libhandler_echo [v2].so");
    }
}
