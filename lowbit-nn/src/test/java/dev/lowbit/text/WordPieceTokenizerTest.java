package dev.lowbit.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** WordPiece rules on a tiny hand-made vocabulary (the real tokenizer.json is checked against DJL in lowbit-onnx). */
class WordPieceTokenizerTest {
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff",
            "able", ",", "!", "cafe", "中", "文", "hello", "##s", "a", "##b", "ab", "σ");

    static String json(String normalizerExtra, int maxChars) {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < VOCAB.size(); i++) {
            v.append(i == 0 ? "" : ",").append('"').append(VOCAB.get(i)).append("\":").append(i);
        }
        return "{\"added_tokens\":[{\"id\":4,\"content\":\"[MASK]\"},{\"id\":2,\"content\":\"[CLS]\"}],"
                + "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true" + normalizerExtra + "},"
                + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},\"post_processor\":{\"type\":\"TemplateProcessing\"},"
                + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":" + maxChars
                + ",\"vocab\":{" + v + "}}}";
    }

    static final WordPieceTokenizer T = WordPieceTokenizer.fromJson(json("", 100));

    @Test
    void greedyLongestMatchFirst() {
        assertThat(T.tokenize("unaffable")).containsExactly("un", "##aff", "##able");
        assertThat(T.tokenize("ab")).containsExactly("ab"); // longest first: "ab", not "a" "##b"
        assertThat(T.tokenize("hellos")).containsExactly("hello", "##s");
        assertThat(T.tokenize("unx")).containsExactly("[UNK]"); // one bad piece makes the whole word [UNK]
    }

    @Test
    void normalizesLikeBert() {
        assertThat(T.tokenize("  Café,\tHELLO!  ")).containsExactly("cafe", ",", "hello", "!");
        assertThat(T.tokenize("中文")).containsExactly("中", "文"); // CJK characters are words of their own
        assertThat(T.tokenize("hel\u0000lo\u200B")).containsExactly("hello"); // NUL and format chars dropped
        assertThat(T.tokenize("Σ")).containsExactly("σ"); // per code point: no final-sigma rule
        assertThat(T.tokenize("he\u00A0llo")).containsExactly("[UNK]", "[UNK]"); // NBSP is whitespace: "he" and "llo"
    }

    @Test
    void addedTokensMatchRawText() {
        assertThat(T.tokenize("hello[MASK]able")).containsExactly("hello", "[MASK]", "able");
        assertThat(T.tokenize("[mask]")).containsExactly("[UNK]", "[UNK]", "[UNK]"); // case-sensitive, not normalized
    }

    @Test
    void truncatesIncludingSpecialTokens() {
        WordPieceTokenizer.Encoding e = T.encode("a ".repeat(10), 5);
        assertThat(e.ids()).containsExactly(2, 17, 17, 17, 3);
        assertThat(e.truncated()).isTrue();
        assertThat(e.fullLength()).isEqualTo(12);
        assertThat(T.encode("").ids()).containsExactly(2, 3);
        assertThatThrownBy(() -> T.encode("a", 1)).isInstanceOf(LowbitException.class).hasMessageContaining("at least 2");
    }

    @Test
    void longWordsAreUnknown() {
        WordPieceTokenizer t = WordPieceTokenizer.fromJson(json("", 4));
        assertThat(t.tokenize("able abab")).containsExactly("able", "[UNK]");
        // a 100 000-character sentence of one word: one [UNK], at once
        assertThat(T.encode("ab".repeat(50_000) + " able").ids()).containsExactly(T.clsId(), T.unkId(), 9, T.sepId());
    }

    @Test
    void unsupportedConfigIsAnError() {
        assertThatThrownBy(() -> WordPieceTokenizer.fromJson(json("", 100).replace("\"WordPiece\"", "\"BPE\"")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("only WordPiece");
        assertThatThrownBy(() -> WordPieceTokenizer.fromJson(json("", 100).replace("\"BertNormalizer\"", "\"NFC\"")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("BertNormalizer");
        assertThatThrownBy(() -> WordPieceTokenizer.fromJson(json("", 100).replace("\"[SEP]\":3", "\"[XEP]\":3")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("[SEP]");
    }
}
