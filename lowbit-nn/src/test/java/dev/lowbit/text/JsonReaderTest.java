package dev.lowbit.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
    @Test
    void parsesValues() {
        Object v = JsonReader.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\\n\\\"\\u00e9\\ud83d\\ude00\"}, \"big\": 12345678901234567890} ");
        assertThat(v).isInstanceOf(Map.class);
        Map<?, ?> m = (Map<?, ?>) v;
        assertThat(m.get("a")).isEqualTo(java.util.Arrays.asList(1L, -2500.0, true, false, null));
        assertThat(((Map<?, ?>) m.get("b")).get("c")).isEqualTo("x\n\"é😀");
        assertThat(m.get("big")).isEqualTo(1.2345678901234567e19);
        assertThat(JsonReader.parse("[]")).isEqualTo(List.of());
        assertThat(JsonReader.parse("{}")).isEqualTo(Map.of());
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "[1] 2", "{\"a\":1,}", "\"\\x\"", "01x"}) {
            assertThatThrownBy(() -> JsonReader.parse(bad)).as(bad).isInstanceOf(LowbitException.class)
                    .hasMessageStartingWith("malformed JSON at offset");
        }
    }
}
