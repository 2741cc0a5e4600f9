package io.handlerregistry.http.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The whiteboard keys of the front's settings: off by default, a path that is a path, wrong values refused. */
class WhiteboardSettingsTest {
    private final List<String> complaints = new ArrayList<>();

    @Test
    void offByDefaultAtHandlers() {
        assertThat(HttpSettings.DEFAULTS.whiteboardEnabled()).isFalse();
        assertThat(HttpSettings.DEFAULTS.whiteboardPath()).isEqualTo("/handlers");
    }

    @Test
    void aPathIsTakenWithoutItsTrailingSlashAndSlashAloneIsTheWholeServer() {
        HttpSettings s = HttpSettings.DEFAULTS.with(Map.of("whiteboard.enabled", "true", "whiteboard.path", "/api/"),
                HttpSettings.DEFAULTS, complaints::add);
        assertThat(s.whiteboardEnabled()).isTrue();
        assertThat(s.whiteboardPath()).isEqualTo("/api");
        assertThat(HttpSettings.DEFAULTS.with(Map.of("whiteboard.path", "/"), s, complaints::add).whiteboardPath())
                .isEqualTo("/");
        assertThat(complaints).isEmpty();
    }

    @Test
    void wrongValuesAreOneLineEachAndThePreviousValuesStay() {
        HttpSettings before = HttpSettings.DEFAULTS.with(Map.of("whiteboard.enabled", true, "whiteboard.path", "/api"),
                HttpSettings.DEFAULTS, complaints::add);
        for (String wrong : List.of("api", "/api/*", "/a b", "/a?x", "//a")) {
            HttpSettings after = HttpSettings.DEFAULTS.with(Map.of("whiteboard.path", wrong, "whiteboard.enabled",
                    "yes"), before, complaints::add);
            assertThat(after.whiteboardPath()).as(wrong).isEqualTo("/api");
            assertThat(after.whiteboardEnabled()).isTrue();
        }
        assertThat(complaints).hasSize(10)
                .anyMatch(l -> l.contains("whiteboard.path = 'api' is not a path on the application's HTTP server"))
                .anyMatch(l -> l.contains("whiteboard.path = '/api/*'"))
                .anyMatch(l -> l.contains("whiteboard.enabled = 'yes' is not true or false"));
    }
}
