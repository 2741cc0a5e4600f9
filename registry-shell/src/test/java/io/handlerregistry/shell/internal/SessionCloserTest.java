package io.handlerregistry.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/** The sessions that ran a command are closed when the closer goes, before Gogo stops. */
class SessionCloserTest {
    @Test
    void sessionsThatRanACommandAreClosedWhenTheCloserGoesAndGogoStopsWithNoneLeft() throws Exception {
        ThreadIOImpl threadIO = new ThreadIOImpl();
        threadIO.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIO);
        processor.addCommand("test", new Object() {
            @SuppressWarnings("unused")
            public String hello() {
                return "hi";
            }
        }, "hello");
        SessionCloser closer = new SessionCloser(outsideTheContainer(), processor);
        processor.addListener(closer);
        CommandSession used = processor.createSession(InputStream.nullInputStream(), OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream());
        CommandSession idle = processor.createSession(InputStream.nullInputStream(), OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream());
        assertThat(used.execute("test:hello")).isEqualTo("hi");

        closer.closeAll();

        assertThatThrownBy(() -> used.execute("test:hello")).hasMessageContaining("closed");
        assertThat(idle.execute("test:hello")).isEqualTo("hi"); // never seen: Gogo's own stop closes it
        processor.stop();
        threadIO.stop();
    }

    /** A bundle context without the container's property: the closer registers no service of its own. */
    private static BundleContext outsideTheContainer() {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperty")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
