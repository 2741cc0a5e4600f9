package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The struct layout the Java side uses ({@link AbiLayout}) is the one gcc computes for handler.h:
 * every constant, compared with the output of {@code layout_probe}, built from handler.h by the
 * build (src/test/native/layout_probe.c).
 */
class AbiLayoutTest {
    @Test
    void everyOffsetAndSizeIsWhatGccComputesForHandlerH() throws Exception {
        assertThat(javaLayout()).isEqualTo(gccLayout());
    }

    private static Map<String, Long> javaLayout() throws IllegalAccessException {
        Map<String, Long> layout = new TreeMap<>();
        for (Field field : AbiLayout.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
                layout.put(field.getName(), (long) field.getInt(null));
            }
        }
        return layout;
    }

    private static Map<String, Long> gccLayout() throws IOException, InterruptedException {
        Process probe = new ProcessBuilder(TestLibraries.dir().resolve("layout_probe").toString())
                .redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).as(out).isZero();
        Map<String, Long> layout = new TreeMap<>();
        for (String line : out.split("\\R")) {
            String[] nameAndValue = line.strip().split(" ");
            layout.put(nameAndValue[0], Long.parseLong(nameAndValue[1]));
        }
        return layout;
    }
}
