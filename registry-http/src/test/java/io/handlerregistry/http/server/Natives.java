package io.handlerregistry.http.server;

import java.nio.file.Path;

import io.handlerregistry.api.HandlerRegistry;

/** The gcc-built handler libraries of registry-core's build (echo, slow, crashy, greeting v1/v2). */
final class Natives {
    static final Path DIR = Path.of(System.getProperty("handler.native.dir", "../registry-core/target/native"));

    private Natives() {
    }

    static Path library(String endpointId) {
        return DIR.resolve(HandlerRegistry.libraryFileName(endpointId));
    }

    static Path version(String version, String endpointId) {
        return DIR.resolve(version).resolve(HandlerRegistry.libraryFileName(endpointId));
    }
}
