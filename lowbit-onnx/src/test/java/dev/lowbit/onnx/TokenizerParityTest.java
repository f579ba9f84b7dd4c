package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lowbit.text.WordPieceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our WordPiece tokenizer against DJL's Hugging Face tokenizers (Rust) on the same tokenizer.json. */
class TokenizerParityTest {
    static Path tokenizerJson() {
        return Path.of(System.getProperty("lowbit.models.dir", "target/models"), MiniLm.TOKENIZER);
    }

    @Test
    void idsMatchHuggingFaceOnHundredsOfSentences() throws Exception {
        List<String> sentences = TestSentences.all();
        assertThat(sentences).hasSizeGreaterThan(400);
        WordPieceTokenizer ours = MiniLm.tokenizer();
        List<String> mismatches = new ArrayList<>();
        int truncated = 0;
        int unk = 0;
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson())
                .optMaxLength(256).optTruncation(true).optPadding(false).optAddSpecialTokens(true).build()) {
            for (String s : sentences) {
                long[] expected = ref.encode(s).getIds();
                WordPieceTokenizer.Encoding got = ours.encode(s);
                int[] ids = got.ids();
                long[] gotL = Arrays.stream(ids).asLongStream().toArray();
                if (!Arrays.equals(expected, gotL)) {
                    mismatches.add(s + "\n   expected " + Arrays.toString(expected) + "\n   got      " + Arrays.toString(gotL));
                }
                truncated += got.truncated() ? 1 : 0;
                unk += Arrays.stream(ids).anyMatch(i -> i == ours.unkId()) ? 1 : 0;
            }
        }
        assertThat(mismatches).as("sentences tokenized differently").isEmpty();
        // the test set really covers truncation and unknown pieces
        assertThat(truncated).isGreaterThanOrEqualTo(4);
        assertThat(unk).isGreaterThan(10);
    }

    @Test
    void knownExample() {
        WordPieceTokenizer t = MiniLm.tokenizer();
        assertThat(t.encode("Hello world! Low-precision numerics are fun.").ids())
                .containsExactly(101, 7592, 2088, 999, 2659, 1011, 11718, 16371, 25531, 2015, 2024, 4569, 1012, 102);
        assertThat(t.encode("").ids()).containsExactly(101, 102);
        assertThat(t.encode("word ".repeat(300)).ids()).hasSize(256);
    }
}
