package dev.lowbit.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.LowbitException;

/**
 * Fuzz target: the WordPiece tokenizer on arbitrary UTF-16 text — any code point, lone and reversed surrogates,
 * control and format characters, added tokens in the raw text, very long words — and any maximum length.
 * Either an encoding ([CLS] … [SEP], ids in the vocabulary, at most maxLength, the same twice) or a one-line
 * {@link LowbitException} (maxLength &lt; 2); nothing else.
 */
class WordPieceTokenizerFuzzTest {
    static final WordPieceTokenizer T = WordPieceTokenizerTest.T;

    @FuzzTest(maxDuration = "3m")
    void encode(FuzzedDataProvider data) {
        int maxLength = data.consumeInt(-2, 600);
        boolean longWord = data.consumeBoolean();
        byte[] raw = data.consumeRemainingAsBytes();
        // every 16-bit value is a char, so lone surrogates and U+0000 reach the tokenizer as they would from a String
        StringBuilder sb = new StringBuilder(raw.length / 2);
        for (int i = 0; i + 1 < raw.length; i += 2) {
            sb.append((char) ((raw[i] & 0xff) << 8 | (raw[i + 1] & 0xff)));
        }
        if (longWord) {
            // a 4 000-character word, 40x the vocabulary's max_input_chars_per_word (longer ones are the same path, and
            // under the fuzzer's instrumentation a 100 000-character word costs 40 ms per run: see longWordsAreUnknown)
            sb.append("ab".repeat(2_000));
        }
        String text = sb.toString();
        WordPieceTokenizer.Encoding e;
        try {
            e = T.encode(text, maxLength);
        } catch (LowbitException ex) {
            assertThat(maxLength).isLessThan(2);
            assertThat(ex.getMessage()).doesNotContain("\n");
            return;
        }
        int[] ids = e.ids();
        assertThat(ids.length).isBetween(2, maxLength);
        assertThat(ids[0]).isEqualTo(T.clsId());
        assertThat(ids[ids.length - 1]).isEqualTo(T.sepId());
        for (int id : ids) {
            assertThat(id).isBetween(0, T.vocabSize() - 1);
        }
        assertThat(e.fullLength()).isGreaterThanOrEqualTo(ids.length);
        assertThat(e.truncated()).isEqualTo(e.fullLength() > ids.length);
        assertThat(T.encode(text, maxLength).ids()).isEqualTo(ids);
    }
}
