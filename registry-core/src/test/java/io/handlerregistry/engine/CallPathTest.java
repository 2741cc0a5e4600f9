package io.handlerregistry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;

/**
 * Which path native calls take in this JVM: {@code java.lang.foreign} downcalls on JDK 22+, JNA
 * direct mapping before (CI runs every test on JDK 17 and on 25, so each path passes them all).
 */
class CallPathTest {

    @Test
    void jdk22AndLaterCallThroughJavaLangForeignEarlierOnesThroughJna() {
        boolean foreign = Runtime.version().feature() >= 22
                && !"jna".equalsIgnoreCase(System.getProperty(ForeignCalls.PROPERTY, ""));
        assertThat(ForeignCalls.inUse()).isEqualTo(foreign);
        assertThat(ForeignCalls.description()).startsWith(foreign ? "java.lang.foreign (JDK " : "JNA ")
                .endsWith("(JDK " + Runtime.version().feature() + ")");

        NativeLibrary library = NativeLibrary.getInstance(TestLibraries.library("echo").toAbsolutePath().toString(),
                Map.of(Library.OPTION_OPEN_FLAGS, 2));
        DirectBindings bindings = new DirectBindings(library);
        try {
            EntryPoint entry = bindings.entry();
            // a JNA binding is a copy of DirectEntry defined for this version; a downcall is not
            assertThat(entry.getClass().getName().equals(DirectEntry.class.getName())).isEqualTo(!foreign);
            assertThat(entry.getClass()).isNotSameAs(DirectEntry.class);
        } finally {
            bindings.unregister();
            library.close();
        }
    }
}
