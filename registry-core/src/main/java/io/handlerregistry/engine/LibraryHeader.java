package io.handlerregistry.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.sun.jna.Platform;

import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;

/**
 * Checks a library file's headers before the platform loader maps it. The loader trusts them: an
 * ELF file cut short (a copy in progress) can load and then crash the JVM with SIGBUS at the first
 * call, and a library for another CPU gets a misleading "No such file" on Linux. On ELF systems it
 * also reads the dynamic symbols ({@link DynamicSection}): entry points must be functions, and no
 * symbol may be one the loader shares across libraries.
 */
final class LibraryHeader {
    private static final int ELF_HEADER_SIZE = 64;
    private static final int PROGRAM_HEADER_SIZE = 56;
    /** The handler's entry points: each, when defined, must be a function. */
    private static final String[] ENTRY_POINTS = {"handler_abi_version", "handler_entry", "handler_init",
        "handler_shutdown", "handler_release"};
    private static final int PT_LOAD = 1;
    private static final int ET_DYN = 3;
    private static final Map<String, Integer> ELF_MACHINES = Map.of(
            "x86-64", 62, "aarch64", 183, "riscv64", 243, "ppc64le", 21, "s390x", 22, "loongarch64", 258);
    private static final Map<Integer, String> MACHINE_NAMES = Map.of(
            3, "x86 (32-bit)", 40, "ARM (32-bit)", 62, "x86-64", 183, "aarch64", 243, "riscv64", 21, "ppc64",
            22, "s390x", 258, "loongarch64");

    private LibraryHeader() {
    }

    /**
     * @return what the dynamic loader will read of it (ELF), or null on platforms without ELF
     */
    static DynamicSection check(String endpointId, Path source, Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer head = read(channel, 0, (int) Math.min(size, ELF_HEADER_SIZE));
            expectMagic(endpointId, source, hasMagic(head));
            if (Platform.isWindows() || Platform.isMac()) {
                return null;
            } else {
                try {
                    return checkElf(endpointId, source, channel, head, size);
                } catch (DynamicSection.MalformedElfException e) {
                    throw new HandlerLoadException(endpointId, source, Reason.NOT_A_LIBRARY, "endpoint '"
                            + endpointId + "': " + source + " has malformed ELF headers (" + e.getMessage()
                            + "); the loader must not see it: deploy the library as the linker wrote it", e);
                }
            }
        }
    }

    /** Checks the first bytes of a file only: whether it can be a library at all (before copying it). */
    static void checkMagic(String endpointId, Path source) throws IOException {
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ)) {
            expectMagic(endpointId, source, hasMagic(read(channel, 0, 4)));
        }
    }

    /** The platform's library magic: MZ (PE), Mach-O (also universal), ELF. */
    private static boolean hasMagic(ByteBuffer head) {
        int n = head.limit();
        if (Platform.isWindows()) {
            return n >= 2 && head.get(0) == 'M' && head.get(1) == 'Z';
        }
        if (Platform.isMac()) {
            int magic = n >= 4 ? head.duplicate().order(ByteOrder.BIG_ENDIAN).getInt(0) : 0;
            return magic == 0xcffaedfe || magic == 0xfeedfacf || magic == 0xcafebabe;
        }
        return n >= 4 && head.get(0) == 0x7f && head.get(1) == 'E' && head.get(2) == 'L' && head.get(3) == 'F';
    }

    private static DynamicSection checkElf(String endpointId, Path source, FileChannel channel, ByteBuffer head,
            long size)
            throws IOException {
        if (size < ELF_HEADER_SIZE) {
            throw incomplete(endpointId, source, size, ELF_HEADER_SIZE);
        }
        if (head.get(4) != 2) {
            throw wrongArchitecture(endpointId, source, "a 32-bit target (ELFCLASS32)");
        }
        ByteOrder order = head.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        if (order != ByteOrder.nativeOrder()) {
            throw wrongArchitecture(endpointId, source, "a " + order + " target");
        }
        head.order(order);
        int machine = Short.toUnsignedInt(head.getShort(18));
        Integer expected = ELF_MACHINES.get(Platform.ARCH.toLowerCase(Locale.ROOT));
        if (expected != null && machine != expected) {
            throw wrongArchitecture(endpointId, source,
                    MACHINE_NAMES.getOrDefault(machine, "machine type " + machine));
        }
        if (Short.toUnsignedInt(head.getShort(16)) != ET_DYN) {
            throw new HandlerLoadException(endpointId, source, Reason.NOT_A_LIBRARY, "endpoint '" + endpointId
                    + "': " + source + " is an ELF file but not a shared library: build it with -shared -fPIC");
        }
        long phoff = head.getLong(32);
        long shoff = head.getLong(40);
        int phentsize = Short.toUnsignedInt(head.getShort(54));
        int phnum = Short.toUnsignedInt(head.getShort(56));
        int shentsize = Short.toUnsignedInt(head.getShort(58));
        int shnum = Short.toUnsignedInt(head.getShort(60));
        if (phnum > 0 && phentsize != PROGRAM_HEADER_SIZE) {
            throw new DynamicSection.MalformedElfException("program header size " + phentsize + ", not "
                    + PROGRAM_HEADER_SIZE);
        }
        long programHeadersEnd = phoff + (long) phentsize * phnum;
        if (phoff < 0 || programHeadersEnd < 0) {
            throw new DynamicSection.MalformedElfException("program headers at " + phoff);
        }
        if (programHeadersEnd > size) {
            throw incomplete(endpointId, source, size, programHeadersEnd);
        }
        long needed = shoff == 0 ? 0 : shoff + (long) shentsize * shnum;
        ByteBuffer programHeaders = read(channel, phoff, (int) (programHeadersEnd - phoff)).order(order);
        for (int i = 0; i < phnum; i++) {
            int at = i * phentsize;
            if (phentsize >= 40 && programHeaders.getInt(at) == PT_LOAD) {
                needed = Math.max(needed, programHeaders.getLong(at + 8) + programHeaders.getLong(at + 32));
            }
        }
        if (needed < 0 || needed > size) {
            throw incomplete(endpointId, source, size, needed);
        }
        DynamicSection dynamic = DynamicSection.read(channel, head, size);
        checkSymbols(endpointId, source, dynamic);
        return dynamic;
    }

    /**
     * Entry points must be functions (the registry calls handler_abi_version before anything else:
     * a data object of that name crashed the JVM), and no symbol may be one the loader shares
     * between all libraries that define it: a second version would continue the first one's
     * state, and the first could never be unloaded.
     */
    private static void checkSymbols(String endpointId, Path source, DynamicSection symbols) {
        for (String name : ENTRY_POINTS) {
            DynamicSection.Symbol symbol = symbols.get(name);
            if (symbol != null && !symbol.isFunction()) {
                throw new HandlerLoadException(endpointId, source, Reason.MISSING_EXPORT, "endpoint '" + endpointId
                        + "': " + source + " exports " + name + " as data (ELF symbol type " + symbol.type
                        + "), not as a function: define it as a function with HANDLER_EXPORT (see handler.h)"
                        + " and rebuild");
            }
        }
        List<String> unique = symbols.withBinding(DynamicSection.STB_GNU_UNIQUE);
        if (!unique.isEmpty()) {
            throw new HandlerLoadException(endpointId, source, Reason.SHARED_SYMBOLS, "endpoint '" + endpointId
                    + "': " + source + " defines " + unique.size() + " symbol" + (unique.size() == 1 ? "" : "s")
                    + " the loader shares between every library that defines them (STB_GNU_UNIQUE: C++ inline"
                    + " or template statics), e.g. " + String.join(", ", unique.subList(0, Math.min(3,
                            unique.size()))) + ": its versions would share that state and none could be"
                    + " unloaded; build it with -fvisibility=hidden (export only the handler_* functions) or"
                    + " -fno-gnu-unique");
        }
    }

    private static void expectMagic(String endpointId, Path source, boolean ok) {
        if (!ok) {
            throw new HandlerLoadException(endpointId, source, Reason.NOT_A_LIBRARY, "endpoint '" + endpointId
                    + "': " + source + " is not a shared library for " + Platform.RESOURCE_PREFIX
                    + " (its first bytes are not a library header): deploy the library built from the handler");
        }
    }

    private static HandlerLoadException incomplete(String endpointId, Path source, long size, long needed) {
        return new HandlerLoadException(endpointId, source, Reason.INCOMPLETE_FILE, "endpoint '" + endpointId
                + "': " + source + " is incomplete: it has " + size + " bytes but its headers need " + needed
                + " (a copy still in progress, or a truncated file); write new builds to a temporary name and"
                + " rename them into place, then retry");
    }

    private static HandlerLoadException wrongArchitecture(String endpointId, Path source, String builtFor) {
        return new HandlerLoadException(endpointId, source, Reason.WRONG_ARCHITECTURE, "endpoint '" + endpointId
                + "': " + source + " was built for " + builtFor + ", but this JVM runs on " + Platform.ARCH
                + " (" + Platform.RESOURCE_PREFIX + "): rebuild it for this platform");
    }

    private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
            // keep reading until full or end of file
        }
        return buffer.flip();
    }
}
