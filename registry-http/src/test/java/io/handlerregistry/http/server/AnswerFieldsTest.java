package io.handlerregistry.http.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;

import io.handlerregistry.api.EncodedHeaders;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.Header;

/**
 * A handler's answer headers as HTTP fields, found by their bytes: in order, checked, the front's own
 * left out, made once.
 */
class AnswerFieldsTest {
    private final AnswerFields fields = new AnswerFields();

    @Test
    void headersAreAddedInOrderWithoutTheFrontsOwn() {
        HttpFields.Mutable into = HttpFields.build();
        assertThat(fields.add(encoded(new Header("Content-Type", "text/plain"), new Header("x-a", "1"),
                new Header("Content-Length", "999"), new Header("x-a", "über"), new Header("X-Request-Id", "mine"),
                new Header("Connection", "close"), new Header("x-empty", "")), into)).isNull();
        assertThat(into.stream().map(HttpField::toString)).containsExactly("Content-Type: text/plain", "x-a: 1",
                "x-a: über", "x-empty: ");
        assertThat(into.getField(0).getHeader()).isEqualTo(HttpHeader.CONTENT_TYPE);
    }

    @Test
    void theSameHeaderAgainIsTheSameFieldAndAValueThatChangesEveryTimeIsNotKept() {
        HttpField first = addOne(new Header("x-endpoint", "echo"));
        assertThat(addOne(new Header("x-endpoint", "echo"))).isSameAs(first);
        // a name with a new value each time: fields are kept up to MAX_VALUES values, then none for that name
        for (int i = 0; i < AnswerFields.MAX_VALUES + 3; i++) {
            HttpField id = addOne(new Header("x-id", "id-" + i));
            assertThat(id.getValue()).isEqualTo("id-" + i);
            assertThat(addOne(new Header("x-id", "id-" + i)) == id).as("value %d kept", i)
                    .isEqualTo(i < AnswerFields.MAX_VALUES);
        }
        assertThat(addOne(new Header("x-endpoint", "echo"))).isSameAs(first);
    }

    @Test
    void namesBeyondThoseKeptAndNamesThatDifferOnlyInCaseAreStillRight() {
        for (int i = 0; i < 3 * AnswerFields.MAX_NAMES; i++) {
            HttpFields.Mutable into = HttpFields.build();
            assertThat(fields.add(encoded(new Header("x-name-" + i, "v" + i), new Header("x-time", "t" + i)), into))
                    .isNull();
            assertThat(into.stream().map(HttpField::toString)).containsExactly("x-name-" + i + ": v" + i, "x-time: t" + i);
        }
        HttpFields.Mutable into = HttpFields.build();
        fields.add(encoded(new Header("x-Case", "1"), new Header("X-case", "2")), into);
        assertThat(into.stream().map(HttpField::toString)).containsExactly("x-Case: 1", "X-case: 2");
    }

    @Test
    void anUnfitHeaderIsNamedAndNothingIsAdded() {
        for (int round = 0; round < 2; round++) { // the second time the good names are known already
            HttpFields.Mutable into = HttpFields.build();
            assertThat(fields.add(encoded(new Header("x-ok", "fine"), new Header("x bad", "v")), into))
                    .isEqualTo("the header name 'x bad', which is not an HTTP token");
            assertThat(fields.add(encoded(new Header("x-ok", "fine"), new Header("x-bad", "a\r\nb")), into))
                    .isEqualTo("a line break or NUL in the value of header 'x-bad'");
            assertThat(fields.add(encoded(new Header("X-Request-Id", "a\nb")), into)) // the front's own, checked too
                    .isEqualTo("a line break or NUL in the value of header 'X-Request-Id'");
            assertThat(fields.add(encoded(new Header("", "v")), into)).isEqualTo("a header with an empty name");
            assertThat(fields.add(encoded(new Header("x-ünicode", "v")), into))
                    .isEqualTo("the header name 'x-ünicode', which is not an HTTP token");
            assertThat(into.size()).isZero();
        }
        // a value refused once is refused again, the name's good values still served
        assertThat(addOne(new Header("x-bad", "good")).getValue()).isEqualTo("good");
    }

    private HttpField addOne(Header header) {
        HttpFields.Mutable into = HttpFields.build();
        assertThat(fields.add(encoded(header), into)).isNull();
        assertThat(into.size()).isEqualTo(1);
        return into.getField(0);
    }

    /** The headers as a handler's answer holds them. */
    private static EncodedHeaders encoded(Header... headers) {
        return new HandlerResponse(200, List.of(headers), new byte[0]).encodedHeaders();
    }
}
