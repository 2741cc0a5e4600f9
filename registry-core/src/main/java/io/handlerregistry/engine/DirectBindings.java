package io.handlerregistry.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The bindings of one loaded library version's entry points: {@code java.lang.foreign} downcalls on
 * JDK 22+ ({@link ForeignCalls}), else JNA direct mappings. Direct mapping is the fastest JNA call
 * path, but it binds a class's natives to one library; each version therefore binds copies of the
 * template classes of its own, defined by a class loader of their own, and unbinds them before its
 * library is closed.
 *
 * <p>Unbound copies go back to a pool and are bound again by later versions: JNA keeps per-class
 * data for as long as a class lives, and a new class per swap would pile up class metadata swap
 * after swap. The pool only ever holds as many copies as there were versions loaded at once.
 */
final class DirectBindings {
    private static final byte[] ENTRY_CLASS = classBytes(DirectEntry.class);
    private static final byte[] RELEASE_CLASS = classBytes(DirectRelease.class);
    private static final Queue<Object> FREE_ENTRIES = new ConcurrentLinkedQueue<>();
    private static final Queue<Object> FREE_RELEASES = new ConcurrentLinkedQueue<>();

    private final NativeLibrary library;
    private final List<Object> bound = new ArrayList<>(2);

    DirectBindings(NativeLibrary library) {
        this.library = library;
    }

    /**
     * On JDK 22+ a {@code java.lang.foreign} downcall to the address JNA resolved (see
     * {@link ForeignCalls}), else a direct-mapped binding.
     *
     * @throws UnsatisfiedLinkError if the library does not export handler_entry
     */
    EntryPoint entry() {
        if (ForeignCalls.inUse()) {
            return ForeignCalls.entry(Pointer.nativeValue(library.getFunction("handler_entry")));
        }
        return (EntryPoint) bind(FREE_ENTRIES, DirectEntry.class, ENTRY_CLASS);
    }

    /** @throws UnsatisfiedLinkError if the library does not export handler_release */
    ReleasePoint release() {
        if (ForeignCalls.inUse()) {
            return ForeignCalls.release(Pointer.nativeValue(library.getFunction("handler_release")));
        }
        return (ReleasePoint) bind(FREE_RELEASES, DirectRelease.class, RELEASE_CLASS);
    }

    /** Unbinds every copy bound here and gives it back to the pool; call before closing the library. */
    void unregister() {
        for (Object binding : bound) {
            Native.unregister(binding.getClass());
            (binding instanceof EntryPoint ? FREE_ENTRIES : FREE_RELEASES).offer(binding);
        }
        bound.clear();
    }

    private Object bind(Queue<Object> pool, Class<?> template, byte[] bytes) {
        Object binding = pool.poll();
        if (binding == null) {
            binding = newCopy(template, bytes);
        }
        try {
            Native.register(binding.getClass(), library);
        } catch (RuntimeException | Error e) {
            pool.offer(binding); // not bound: still free
            throw e;
        }
        bound.add(binding);
        return binding;
    }

    private static Object newCopy(Class<?> template, byte[] bytes) {
        Class<?> copy = new VersionLoader(DirectBindings.class.getClassLoader()).define(template.getName(), bytes);
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

    /** Defines a private copy of a template class; everything else comes from the parent. */
    private static final class VersionLoader extends ClassLoader {
        VersionLoader(ClassLoader parent) {
            super(parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
