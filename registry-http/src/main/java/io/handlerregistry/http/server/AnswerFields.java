package io.handlerregistry.http.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

import io.handlerregistry.api.EncodedHeaders;

/**
 * Handlers' answer headers as HTTP fields, found by their bytes: each name and value is decoded,
 * checked and made into a field once. Handlers answer the same headers again and again; comparing
 * their UTF-8 bytes with those seen before costs less than a string per name and value, and a field
 * seen before is cheap for Jetty: its HPACK encoder finds it in its table by identity, with its hash
 * kept. Bounded: at most {@value #MAX_NAMES} names, each with at most {@value #MAX_VALUES} values; a
 * name that comes with more values (an id, a time) gets a new field for each, its name still shared.
 */
final class AnswerFields {
    static final int MAX_NAMES = 512;
    static final int MAX_VALUES = 8;
    /** Open addressing, never more than half full: a name is found within a probe or two. */
    private static final int SLOTS = 2 * MAX_NAMES;

    private final AtomicReferenceArray<Name> names = new AtomicReferenceArray<>(SLOTS);
    private final AtomicInteger kept = new AtomicInteger();

    /**
     * Adds the handler's headers to {@code into}, in order, leaving out those the front owns.
     *
     * @return null, or what is wrong with them for HTTP (then nothing was added)
     */
    String add(EncodedHeaders headers, HttpFields.Mutable into) {
        byte[] bytes = headers.bytes();
        int[] lengths = headers.lengths();
        HttpField[] fields = new HttpField[headers.count()];
        int n = 0;
        int at = 0;
        for (int i = 0; i < lengths.length; i += 2) {
            int nameLength = lengths[i];
            int valueLength = lengths[i + 1];
            Name name = name(bytes, at, nameLength);
            at += nameLength;
            if (name == null) {
                return Failures.invalidHeader(headers.decode());
            }
            if (name.front) {
                if (!isFieldValue(bytes, at, valueLength)) {
                    return Failures.invalidHeader(headers.decode());
                }
            } else {
                HttpField field = name.field(bytes, at, valueLength);
                if (field == null) {
                    return Failures.invalidHeader(headers.decode());
                }
                fields[n++] = field;
            }
            at += valueLength;
        }
        for (int i = 0; i < n; i++) {
            into.add(fields[i]);
        }
        return null;
    }

    /** The name's entry, or null if it is no HTTP token. */
    private Name name(byte[] bytes, int at, int length) {
        int hash = hash(bytes, at, length);
        int slot = hash & (SLOTS - 1);
        for (Name known; (known = names.get(slot)) != null; slot = (slot + 1) & (SLOTS - 1)) {
            if (known.is(hash, bytes, at, length)) {
                return known;
            }
        }
        String name = new String(bytes, at, length, StandardCharsets.UTF_8);
        if (!Failures.isToken(name)) {
            return null;
        }
        Name made = new Name(name, Arrays.copyOfRange(bytes, at, at + length), hash);
        return kept.get() < MAX_NAMES ? keep(made, slot) : made; // names by the hundred: checked each time, not kept
    }

    /** Puts a new name in the first free slot from {@code slot} on, unless another thread put it there first. */
    private Name keep(Name made, int slot) {
        for (;; slot = (slot + 1) & (SLOTS - 1)) {
            if (names.compareAndSet(slot, null, made)) {
                kept.incrementAndGet();
                return made;
            }
            Name there = names.get(slot);
            if (there.is(made.hash, made.bytes, 0, made.bytes.length)) {
                return there;
            }
        }
    }

    private static int hash(byte[] bytes, int at, int length) {
        int hash = 1;
        for (int i = at; i < at + length; i++) {
            hash = 31 * hash + bytes[i];
        }
        return hash;
    }

    /** No line break, no NUL: UTF-8 encodes no other character with those bytes. */
    private static boolean isFieldValue(byte[] bytes, int at, int length) {
        for (int i = at; i < at + length; i++) {
            byte b = bytes[i];
            if (b == '\r' || b == '\n' || b == 0) {
                return false;
            }
        }
        return true;
    }

    /** The headers decoded, to say what is wrong with them. */
    /** One header name: checked, and the fields made with it for the values it came with. */
    private static final class Name {
        private static final Value[] NONE = new Value[0];

        final String name;
        final byte[] bytes;
        final int hash;
        final HttpHeader header;
        /** A header the front writes itself (framing, hop-by-hop, the request id). */
        final boolean front;
        /** The fields made so far; null once more than MAX_VALUES values came (then none are kept). */
        private volatile Value[] values = NONE;

        Name(String name, byte[] bytes, int hash) {
            this.name = name;
            this.bytes = bytes;
            this.hash = hash;
            this.header = HttpHeader.CACHE.get(name);
            this.front = Exchange.isFrontHeader(name);
        }

        boolean is(int hash, byte[] other, int at, int length) {
            return this.hash == hash && bytes.length == length && Arrays.equals(bytes, 0, length, other, at, at + length);
        }

        /** The field for this name and the value at {@code at}, or null if the value cannot be sent in HTTP. */
        HttpField field(byte[] other, int at, int length) {
            Value[] known = values;
            if (known != null) {
                for (Value value : known) {
                    if (value.bytes.length == length && Arrays.equals(value.bytes, 0, length, other, at, at + length)) {
                        return value.field;
                    }
                }
            }
            if (!isFieldValue(other, at, length)) {
                return null;
            }
            HttpField made = new HttpField(header, name, new String(other, at, length, StandardCharsets.UTF_8));
            if (known != null) {
                // unsynchronized: an addition lost in a race only means a new field next time
                values = known.length >= MAX_VALUES ? null
                        : append(known, new Value(Arrays.copyOfRange(other, at, at + length), made));
            }
            return made;
        }

        private static Value[] append(Value[] values, Value value) {
            Value[] more = Arrays.copyOf(values, values.length + 1);
            more[values.length] = value;
            return more;
        }
    }

    /** A value seen before, and its field. */
    private record Value(byte[] bytes, HttpField field) {
    }
}
