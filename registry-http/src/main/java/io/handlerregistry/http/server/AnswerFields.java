package io.handlerregistry.http.server;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

import io.handlerregistry.api.Header;

/**
 * Handlers' answer headers as HTTP fields, each name and value checked once and its field made
 * once. Handlers answer the same headers again and again, and a field seen before is cheap for
 * Jetty: its HPACK encoder finds it in its table by identity, with its hash kept, where a new field
 * of the same name and value is hashed again and compared ignoring case. Bounded: at most
 * {@value #MAX_NAMES} names, each with at most {@value #MAX_VALUES} values; a name that comes with
 * more values (an id, a time) gets a new field for each, its name still shared.
 */
final class AnswerFields {
    static final int MAX_NAMES = 512;
    static final int MAX_VALUES = 8;

    private final ConcurrentHashMap<String, Name> names = new ConcurrentHashMap<>();

    /**
     * Adds the handler's headers to {@code into}, in order, leaving out those the front owns.
     *
     * @return null, or what is wrong with them for HTTP (then nothing was added)
     */
    String add(List<Header> headers, HttpFields.Mutable into) {
        HttpField[] fields = new HttpField[headers.size()];
        int n = 0;
        for (Header header : headers) {
            Name name = name(header.name());
            HttpField field = name == null ? null : name.field(header.value());
            if (field == null) {
                return Failures.invalidHeader(headers);
            }
            if (!name.front) {
                fields[n++] = field;
            }
        }
        for (int i = 0; i < n; i++) {
            into.add(fields[i]);
        }
        return null;
    }

    /** The name's entry, or null if it is no HTTP token. */
    private Name name(String name) {
        Name known = names.get(name);
        if (known != null) {
            return known;
        }
        if (!Failures.isToken(name)) {
            return null;
        }
        if (names.size() >= MAX_NAMES) {
            return new Name(name); // names by the hundred: checked each time, not kept
        }
        return names.computeIfAbsent(name, Name::new);
    }

    /** One header name: checked, and the fields made with it for the values it came with. */
    private static final class Name {
        private static final HttpField[] NONE = new HttpField[0];

        final String name;
        final HttpHeader header;
        /** A header the front writes itself (framing, hop-by-hop, the request id). */
        final boolean front;
        /** The fields made so far; null once more than MAX_VALUES values came (then none are kept). */
        private volatile HttpField[] values = NONE;

        Name(String name) {
            this.name = name;
            this.header = HttpHeader.CACHE.get(name);
            this.front = Exchange.isFrontHeader(name);
        }

        /** The field for this name and {@code value}, or null if the value cannot be sent in HTTP. */
        HttpField field(String value) {
            HttpField[] known = values;
            if (known != null) {
                for (HttpField field : known) {
                    if (field.getValue().equals(value)) {
                        return field;
                    }
                }
            }
            if (!Failures.isFieldValue(value)) {
                return null;
            }
            HttpField made = new HttpField(header, name, value);
            if (known != null) {
                // unsynchronized: an addition lost in a race only means a new field next time
                values = known.length >= MAX_VALUES ? null : append(known, made);
            }
            return made;
        }

        private static HttpField[] append(HttpField[] fields, HttpField field) {
            HttpField[] more = Arrays.copyOf(fields, fields.length + 1);
            more[fields.length] = field;
            return more;
        }
    }
}
