package dev.lowbit.text;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer, configured from a Hugging Face {@code tokenizer.json} (model
 * {@code WordPiece}, normalizer {@code BertNormalizer}, pre-tokenizer {@code BertPreTokenizer}, a
 * {@code [CLS] A [SEP]} post-processor). The pipeline, on Unicode code points:
 *
 * <ol>
 *   <li><b>added tokens</b> ({@code [CLS]}, {@code [MASK]}, …, matched on the raw text, longest first) are
 *       cut out and map to their ids directly;
 *   <li><b>clean text</b>: drop U+0000, U+FFFD and "other" characters (Unicode categories Cc, Cf, Co, Cs,
 *       except tab/newline/CR; unassigned code points are kept, as Hugging Face tokenizers does); map whitespace (Unicode White_Space) to a space;
 *   <li><b>CJK</b>: put spaces around each CJK ideograph (the BERT ranges), so each is its own word;
 *   <li><b>strip accents</b> (when {@code strip_accents} is true, or null and lowercasing): NFD, then drop
 *       non-spacing marks (Mn);
 *   <li><b>lowercase</b>: the full Unicode lower-case mapping of each code point, without context;
 *   <li><b>pre-tokenize</b>: split on whitespace, and make each punctuation character (ASCII punctuation
 *       or a Unicode P* category) a word of its own;
 *   <li><b>WordPiece</b>: a word longer than {@code max_input_chars_per_word} code points is {@code [UNK]};
 *       otherwise it is cut greedily into the longest vocabulary pieces from the left, pieces after the
 *       first carrying the {@code ##} prefix; a word with any piece not in the vocabulary is one {@code [UNK]};
 *   <li><b>post-process</b>: {@code [CLS]} + pieces + {@code [SEP]}, truncated on the right so that the
 *       whole sequence has at most {@code maxLength} tokens (256 by default, sentence-transformers'
 *       setting for all-MiniLM-L6-v2; the file's own truncation/padding blocks are ignored: we never pad).
 * </ol>
 */
public final class WordPieceTokenizer {
    /** sentence-transformers' max_seq_length for all-MiniLM-L6-v2. */
    public static final int DEFAULT_MAX_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final String unkToken;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final boolean cleanText;
    private final boolean handleChinese;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final int clsId;
    private final int sepId;
    private final String[] addedTokens; // longest first
    private final int[] addedIds;

    /**
     * One encoded sequence.
     *
     * @param ids token ids, {@code [CLS]} first and {@code [SEP]} last
     * @param fullLength the length before truncation ({@code > ids.length} when truncated)
     */
    public record Encoding(int[] ids, int fullLength) {
        public boolean truncated() {
            return fullLength > ids.length;
        }

        public int length() {
            return ids.length;
        }
    }

    private WordPieceTokenizer(Map<String, Object> root) {
        Map<String, Object> model = obj(root, "model");
        String type = str(model, "type");
        if (!"WordPiece".equals(type)) {
            throw new LowbitException("tokenizer.json: model type is '" + type + "', only WordPiece is supported");
        }
        Map<String, Object> v = obj(model, "vocab");
        vocab = new HashMap<>(v.size() * 2);
        int maxId = -1;
        for (Map.Entry<String, Object> e : v.entrySet()) {
            int id = ((Number) e.getValue()).intValue();
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        idToToken = new String[maxId + 1];
        vocab.forEach((t, id) -> idToToken[id] = t);
        unkToken = str(model, "unk_token");
        unkId = requireId(unkToken);
        prefix = model.get("continuing_subword_prefix") instanceof String p ? p : "##";
        maxInputCharsPerWord = model.get("max_input_chars_per_word") instanceof Number n ? n.intValue() : 100;

        Map<String, Object> norm = obj(root, "normalizer");
        if (!"BertNormalizer".equals(norm.get("type"))) {
            throw new LowbitException("tokenizer.json: normalizer is '" + norm.get("type") + "', only BertNormalizer is supported");
        }
        cleanText = bool(norm, "clean_text", true);
        handleChinese = bool(norm, "handle_chinese_chars", true);
        lowercase = bool(norm, "lowercase", true);
        stripAccents = norm.get("strip_accents") instanceof Boolean b ? b : lowercase;
        Map<String, Object> pre = obj(root, "pre_tokenizer");
        if (!"BertPreTokenizer".equals(pre.get("type"))) {
            throw new LowbitException("tokenizer.json: pre_tokenizer is '" + pre.get("type") + "', only BertPreTokenizer is supported");
        }
        Map<String, Object> post = obj(root, "post_processor");
        Object postType = post.get("type");
        if (!"TemplateProcessing".equals(postType) && !"BertProcessing".equals(postType)) {
            throw new LowbitException("tokenizer.json: post_processor is '" + postType + "', expected TemplateProcessing or BertProcessing");
        }
        clsId = requireId("[CLS]");
        sepId = requireId("[SEP]");

        List<String> added = new ArrayList<>();
        if (root.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && m.get("content") instanceof String c && !c.isEmpty()) {
                    added.add(c);
                }
            }
        }
        added.sort((a, b) -> Integer.compare(b.length(), a.length()));
        addedTokens = added.toArray(String[]::new);
        addedIds = new int[addedTokens.length];
        for (int i = 0; i < addedTokens.length; i++) {
            addedIds[i] = requireId(addedTokens[i]);
        }
    }

    /** Reads a {@code tokenizer.json}. */
    public static WordPieceTokenizer load(Path file) {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LowbitException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a {@code tokenizer.json} from a stream (not closed). */
    public static WordPieceTokenizer load(InputStream in) throws IOException {
        return fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    public static WordPieceTokenizer fromJson(String json) {
        Object root = JsonReader.parse(json);
        if (!(root instanceof Map<?, ?>)) {
            throw new LowbitException("tokenizer.json: top level is not an object");
        }
        return new WordPieceTokenizer((Map<String, Object>) root);
    }

    public int vocabSize() {
        return idToToken.length;
    }

    public int unkId() {
        return unkId;
    }

    public int clsId() {
        return clsId;
    }

    public int sepId() {
        return sepId;
    }

    /** The token string of an id. */
    public String token(int id) {
        return idToToken[id];
    }

    /** Encodes with {@link #DEFAULT_MAX_LENGTH}. */
    public Encoding encode(String text) {
        return encode(text, DEFAULT_MAX_LENGTH);
    }

    /** {@code [CLS]} + WordPiece ids + {@code [SEP]}, at most {@code maxLength} (≥ 2) ids in all. */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new LowbitException("maxLength must be at least 2 (room for [CLS] and [SEP]), got " + maxLength);
        }
        int[] body = tokenIds(text);
        int keep = Math.min(body.length, maxLength - 2);
        int[] ids = new int[keep + 2];
        ids[0] = clsId;
        System.arraycopy(body, 0, ids, 1, keep);
        ids[keep + 1] = sepId;
        return new Encoding(ids, body.length + 2);
    }

    /** The WordPiece ids of {@code text}, without special tokens and without truncation. */
    public int[] tokenIds(String text) {
        IntList out = new IntList();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            int hit = addedAt(text, i);
            if (hit >= 0) {
                encodeSegment(text.substring(start, i), out);
                out.add(addedIds[hit]);
                i += addedTokens[hit].length();
                start = i;
            } else {
                i++;
            }
        }
        encodeSegment(text.substring(start), out);
        return out.toArray();
    }

    /** The token strings of {@code text} (no special tokens added, no truncation). */
    public List<String> tokenize(String text) {
        List<String> t = new ArrayList<>();
        for (int id : tokenIds(text)) {
            t.add(idToToken[id]);
        }
        return t;
    }

    private int addedAt(String text, int i) {
        for (int a = 0; a < addedTokens.length; a++) {
            if (text.startsWith(addedTokens[a], i)) {
                return a;
            }
        }
        return -1;
    }

    private void encodeSegment(String segment, IntList out) {
        if (segment.isEmpty()) {
            return;
        }
        String norm = normalize(segment);
        // pre-tokenize: whitespace splits, punctuation stands alone
        int[] cps = norm.codePoints().toArray();
        int wordStart = -1;
        for (int p = 0; p <= cps.length; p++) {
            int cp = p < cps.length ? cps[p] : ' ';
            boolean ws = isWhitespace(cp);
            boolean punct = !ws && isPunctuation(cp);
            if (ws || punct) {
                if (wordStart >= 0) {
                    wordPiece(cps, wordStart, p, out);
                    wordStart = -1;
                }
                if (punct) {
                    wordPiece(cps, p, p + 1, out);
                }
            } else if (wordStart < 0) {
                wordStart = p;
            }
        }
    }

    /** Greedy longest-match-first WordPiece of code points {@code [from, to)}. */
    private void wordPiece(int[] cps, int from, int to, IntList out) {
        if (to - from > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = from;
        while (start < to) {
            int end = to;
            Integer found = null;
            while (start < end) {
                String piece = new String(cps, start, end - start);
                if (start > from) {
                    piece = prefix + piece;
                }
                found = vocab.get(piece);
                if (found != null) {
                    break;
                }
                end--;
            }
            if (found == null) {
                out.truncate(mark);
                out.add(unkId);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    /** BertNormalizer: clean text, space out CJK, strip accents, lowercase (in that order). */
    String normalize(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        s.codePoints().forEach(cp -> {
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    return;
                }
                if (isWhitespace(cp)) {
                    sb.append(' ');
                    return;
                }
            }
            if (handleChinese && isChinese(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        String t = sb.toString();
        if (stripAccents) {
            String d = Normalizer.normalize(t, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(d.length());
            d.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            t = kept.toString();
        }
        if (lowercase) {
            StringBuilder low = new StringBuilder(t.length());
            // per code point, so no context-dependent mapping (final sigma) applies, as in Rust's char::to_lowercase
            t.codePoints().forEach(cp -> low.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT)));
            t = low.toString();
        }
        return t;
    }

    /** Unicode White_Space (Rust's {@code char::is_whitespace}). */
    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case '\t', '\n', 0x0B, 0x0C, '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** "Other" characters (Cc, Cf, Co, Cs; not Cn) except tab, newline and carriage return. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        // unassigned code points (Cn) are kept: the reference implementation's category tables leave them in
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE;
    }

    /** ASCII punctuation, or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po). */
    static boolean isPunctuation(int cp) {
        if (cp < 128) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }

    /** The CJK Unified Ideograph blocks BERT treats as single-character words. */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    private int requireId(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new LowbitException("tokenizer.json: token " + token + " is not in the vocabulary");
        }
        return id;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Map<?, ?> o) {
            return (Map<String, Object>) o;
        }
        throw new LowbitException("tokenizer.json: '" + key + "' is missing or not an object");
    }

    private static String str(Map<String, Object> m, String key) {
        if (m.get(key) instanceof String s) {
            return s;
        }
        throw new LowbitException("tokenizer.json: '" + key + "' is missing or not a string");
    }

    private static boolean bool(Map<String, Object> m, String key, boolean dflt) {
        return m.get(key) instanceof Boolean b ? b : dflt;
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] a = new int[32];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        void truncate(int size) {
            n = size;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
