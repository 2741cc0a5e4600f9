package io.handlerregistry.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * JNA direct mappings of one loaded library version. Direct mapping is the fastest JNA call path,
 * but it binds a class's natives to one library; each version therefore gets its own copies of
 * the template classes, defined by a class loader of its own, registered against its library,
 * and unregistered before that library is closed.
 */
final class DirectBindings {
    private static final byte[] ENTRY_CLASS = classBytes(DirectEntry.class);
    private static final byte[] RELEASE_CLASS = classBytes(DirectRelease.class);

    private final VersionLoader loader = new VersionLoader(DirectBindings.class.getClassLoader());
    private final NativeLibrary library;
    private final List<Class<?>> registered = new ArrayList<>(2);

    DirectBindings(NativeLibrary library) {
        this.library = library;
    }

    /** @throws UnsatisfiedLinkError if the library does not export handler_entry */
    EntryPoint entry() {
        return (EntryPoint) bind(DirectEntry.class, ENTRY_CLASS);
    }

    /** @throws UnsatisfiedLinkError if the library does not export handler_release */
    ReleasePoint release() {
        return (ReleasePoint) bind(DirectRelease.class, RELEASE_CLASS);
    }

    /** Unbinds every class registered here; call before closing the library. */
    void unregister() {
        for (Class<?> c : registered) {
            Native.unregister(c);
        }
        registered.clear();
    }

    private Object bind(Class<?> template, byte[] bytes) {
        Class<?> copy = loader.define(template.getName(), bytes);
        Native.register(copy, library);
        registered.add(copy);
        try {
            return copy.getConstructor().newInstance();
        } catch (InstantiationException | IllegalAccessException | NoSuchMethodException
                | InvocationTargetException e) {
            throw new IllegalStateException("cannot instantiate the binding " + copy, e);
        }
    }

    private static byte[] classBytes(Class<?> template) {
        try (InputStream in = template.getResourceAsStream(template.getSimpleName() + ".class")) {
            if (in == null) {
                throw new IllegalStateException("class file of " + template.getName() + " not found");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Defines private copies of the template classes; everything else comes from the parent. */
    private static final class VersionLoader extends ClassLoader {
        VersionLoader(ClassLoader parent) {
            super(parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
