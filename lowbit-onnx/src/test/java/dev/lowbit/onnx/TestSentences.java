package dev.lowbit.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Test sentences: a hand-written file (accents, CJK, emoji, URLs, numbers, code …) plus seeded generated ones. */
final class TestSentences {
    private TestSentences() {}

    static List<String> handWritten() {
        try (InputStream in = TestSentences.class.getResourceAsStream("/tokenizer-sentences.txt")) {
            return Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static final String[] WORDS = {"the", "model", "quantization", "café", "naïve", "über", "Straße", "東京", "中文",
        "日本語", "한국어", "emoji", "😀", "👍🏽", "🇯🇵", "https://lowbit.dev/a?b=c", "user@example.com", "3.14", "1,024", "$5",
        "100%", "C++", "x86_64", "don't", "U.S.", "—", "…", "«", "»", "(", ")", "[", "]", "{", "}", "#tag", "@me", "\t",
        "  ", "Ωmega", "Σίσυφος", "Привет", "עברית", "العربية", "हिन्दी", "ไทย", "ﬁ", "Ⅻ", "①", "½", "x²", "H₂O", "°C",
        "[MASK]", "[SEP]", "antidisestablishmentarianism", "ZERO\u200BWIDTH", "soft\u00ADhyphen", "nbsp\u00A0here",
        "COMBINING e\u0301", "🧑‍💻", "❤️", "∑", "≤", "→", "©", "™", "\u0007bell"};

    /** {@code count} random sentences from a seeded generator: words, random code points, numbers. */
    static List<String> generated(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ranges = {{0x21, 0x7E}, {0xA1, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x4E00, 0x9FFF}, {0x3040, 0x30FF},
            {0xAC00, 0xD7A3}, {0x1F300, 0x1F64F}, {0x2000, 0x206F}, {0x20A0, 0x20CF}, {0x2200, 0x22FF}, {0x0600, 0x06FF}};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(24);
            for (int w = 0; w < n; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                switch (r.nextInt(4)) {
                    case 0, 1 -> sb.append(WORDS[r.nextInt(WORDS.length)]);
                    case 2 -> sb.append(r.nextInt(1_000_000));
                    default -> {
                        int[] rg = ranges[r.nextInt(ranges.length)];
                        int len = 1 + r.nextInt(6);
                        for (int c = 0; c < len; c++) {
                            sb.appendCodePoint(rg[0] + r.nextInt(rg[1] - rg[0] + 1));
                        }
                    }
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** Inputs longer than 256 tokens (they are truncated). */
    static List<String> longOnes() {
        String para = "Transformers compute attention over every pair of tokens, so long inputs cost quadratic time; "
                + "sentence-transformers truncate them at 256 word pieces including [CLS] and [SEP]. ";
        return List.of(para.repeat(12), "word ".repeat(300), "数".repeat(400), "a,".repeat(200) + " end");
    }

    static List<String> all() {
        List<String> s = new ArrayList<>(handWritten());
        s.addAll(generated(320, 20261125L));
        s.addAll(longOnes());
        return s;
    }
}
