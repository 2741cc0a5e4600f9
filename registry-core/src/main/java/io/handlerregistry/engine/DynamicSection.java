package io.handlerregistry.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dynamic loader will read of an ELF64 shared library, read from the file before it is
 * mapped: the symbols it defines (.dynsym) and where it looks for its dependencies (DT_RUNPATH,
 * DT_RPATH). Used to check that the handler's entry points are functions (calling a data object
 * crashes the JVM), that it defines no symbol the loader shares across every library that defines
 * it (C++ {@code STB_GNU_UNIQUE}), and whether it finds dependencies next to itself ({@code $ORIGIN}).
 */
final class DynamicSection {
    static final int STT_FUNC = 2;
    static final int STT_GNU_IFUNC = 10;
    static final int STB_GNU_UNIQUE = 10;
    private static final int SHT_DYNSYM = 11;
    private static final int SHT_DYNAMIC = 6;
    private static final long DT_RPATH = 15;
    private static final long DT_RUNPATH = 29;
    private static final int DYNAMIC_ENTRY_SIZE = 16;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int SYMBOL_SIZE = 24;
    /** More symbols than any handler has: a count above it is a malformed file, not a library. */
    private static final long MAX_TABLE_BYTES = 64L << 20;

    /** A defined symbol: its type and binding (st_info's halves). */
    static final class Symbol {
        final String name;
        final int type;
        final int binding;

        Symbol(String name, int type, int binding) {
            this.name = name;
            this.type = type;
            this.binding = binding;
        }

        boolean isFunction() {
            return type == STT_FUNC || type == STT_GNU_IFUNC;
        }
    }

    private final Map<String, Symbol> defined;
    private final List<String> searchPaths;

    private DynamicSection(Map<String, Symbol> defined, List<String> searchPaths) {
        this.defined = defined;
        this.searchPaths = searchPaths;
    }

    /** The directories of DT_RUNPATH and DT_RPATH, as written ({@code $ORIGIN} not expanded). */
    List<String> searchPaths() {
        return searchPaths;
    }

    /** True if the library looks for dependencies relative to its own directory. */
    boolean usesOrigin() {
        return searchPaths.stream().anyMatch(p -> p.startsWith("$ORIGIN") || p.startsWith("${ORIGIN}"));
    }

    /** The symbol of that name the library defines, or null. */
    Symbol get(String name) {
        return defined.get(name);
    }

    /** The defined symbols of a binding, by name. */
    List<String> withBinding(int binding) {
        List<String> names = new ArrayList<>();
        defined.values().stream().filter(s -> s.binding == binding).forEach(s -> names.add(s.name));
        names.sort(null);
        return names;
    }

    /**
     * Reads the dynamic symbol table of a file whose ELF header was checked (64-bit, native byte
     * order, complete). A library without section headers (stripped of them) has none to read.
     *
     * @throws MalformedElfException if a table or its names lie outside the file
     */
    static DynamicSection read(FileChannel channel, ByteBuffer header, long size) throws IOException {
        ByteOrder order = header.order();
        long shoff = header.getLong(40);
        int shentsize = Short.toUnsignedInt(header.getShort(58));
        int shnum = Short.toUnsignedInt(header.getShort(60));
        Map<String, Symbol> defined = new HashMap<>();
        List<String> searchPaths = new ArrayList<>();
        if (shoff == 0 || shnum == 0) {
            return new DynamicSection(defined, searchPaths);
        }
        if (shentsize != SECTION_HEADER_SIZE) {
            throw new MalformedElfException("section header size " + shentsize + ", not " + SECTION_HEADER_SIZE);
        }
        ByteBuffer sections = slice(channel, shoff, (long) shnum * SECTION_HEADER_SIZE, size, "section headers")
                .order(order);
        for (int i = 0; i < shnum; i++) {
            int at = i * SECTION_HEADER_SIZE;
            int type = sections.getInt(at + 4);
            if (type != SHT_DYNSYM && type != SHT_DYNAMIC) {
                continue;
            }
            String what = type == SHT_DYNSYM ? ".dynsym" : ".dynamic";
            int link = sections.getInt(at + 40);
            if (link < 0 || link >= shnum) {
                throw new MalformedElfException(what + " links to section " + link + " of " + shnum);
            }
            ByteBuffer table = slice(channel, sections.getLong(at + 24), sections.getLong(at + 32), size, what)
                    .order(order);
            int stringsAt = link * SECTION_HEADER_SIZE;
            ByteBuffer strings = slice(channel, sections.getLong(stringsAt + 24), sections.getLong(stringsAt + 32),
                    size, ".dynstr");
            if (type == SHT_DYNSYM) {
                for (int s = SYMBOL_SIZE; s + SYMBOL_SIZE <= table.limit(); s += SYMBOL_SIZE) { // 0 is null
                    int info = Byte.toUnsignedInt(table.get(s + 4));
                    int sectionIndex = Short.toUnsignedInt(table.getShort(s + 6));
                    if (sectionIndex != 0) {
                        String name = name(strings, table.getInt(s));
                        defined.put(name, new Symbol(name, info & 0xf, info >>> 4));
                    }
                }
            } else {
                for (int e = 0; e + DYNAMIC_ENTRY_SIZE <= table.limit(); e += DYNAMIC_ENTRY_SIZE) {
                    long tag = table.getLong(e);
                    if (tag == DT_RPATH || tag == DT_RUNPATH) {
                        for (String path : name(strings, (int) table.getLong(e + 8)).split(":")) {
                            if (!path.isEmpty()) {
                                searchPaths.add(path);
                            }
                        }
                    }
                }
            }
        }
        return new DynamicSection(defined, searchPaths);
    }

    private static String name(ByteBuffer strings, int offset) {
        if (offset < 0 || offset >= strings.limit()) {
            throw new MalformedElfException("a symbol name at " + Integer.toUnsignedString(offset)
                    + " lies outside .dynstr (" + strings.limit() + " bytes)");
        }
        int end = offset;
        while (end < strings.limit() && strings.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - offset];
        strings.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ByteBuffer slice(FileChannel channel, long offset, long length, long size, String what)
            throws IOException {
        if (offset < 0 || length < 0 || length > MAX_TABLE_BYTES || offset + length > size) {
            throw new MalformedElfException(what + " of " + length + " bytes at " + offset + " do not fit in the"
                    + " file's " + size + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) length);
        while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) >= 0) {
            // until full (the file is long enough: checked above)
        }
        return buffer.flip();
    }

    /** The file's ELF structures contradict themselves: it is no library the loader should see. */
    static final class MalformedElfException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedElfException(String message) {
            super(message);
        }
    }
}
