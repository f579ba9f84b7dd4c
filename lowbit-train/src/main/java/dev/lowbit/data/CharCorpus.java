package dev.lowbit.data;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rng;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/**
 * A character-level corpus: the vocabulary is the sorted set of characters; the first 90 % of the text
 * trains, the last 10 % validates. Batches are drawn by a counter-based generator from (seed, step), so
 * the data order never depends on threads or on resuming.
 */
public final class CharCorpus {
    private final String text;
    private final char[] vocab;
    private final int[] index = new int[65536];
    private final int[] ids;
    private final int split;

    public CharCorpus(String text) {
        if (text.length() < 100) {
            throw new LowbitException("corpus too small: " + text.length() + " characters");
        }
        this.text = text;
        TreeSet<Character> set = new TreeSet<>();
        for (int i = 0; i < text.length(); i++) {
            set.add(text.charAt(i));
        }
        vocab = new char[set.size()];
        int k = 0;
        for (char c : set) {
            vocab[k] = c;
            index[c] = k++;
        }
        ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = index[text.charAt(i)];
        }
        split = (int) (ids.length * 0.9);
    }

    /** The King James Bible text shipped in this module (public domain; see KJV-PROVENANCE.md). */
    public static CharCorpus kjv() {
        try (InputStream in = CharCorpus.class.getResourceAsStream("kjv.txt.gz")) {
            if (in == null) {
                throw new LowbitException("the KJV corpus resource is missing from the lowbit-train jar");
            }
            return new CharCorpus(new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new LowbitException("cannot read the KJV corpus: " + e.getMessage(), e);
        }
    }

    public int vocabSize() {
        return vocab.length;
    }

    public int size() {
        return ids.length;
    }

    /** Inputs and next-character targets for {@code batch} windows of length {@code t}. */
    public record Batch(int[] inputs, int[] targets) {}

    public Batch batch(boolean train, int batch, int t, long seed, long step) {
        int lo = train ? 0 : split;
        int hi = train ? split : ids.length;
        int span = hi - lo - t - 1;
        if (span <= 0) {
            throw new LowbitException("context " + t + " is longer than the " + (train ? "training" : "validation") + " text");
        }
        int[] x = new int[batch * t];
        int[] y = new int[batch * t];
        for (int b = 0; b < batch; b++) {
            int start = lo + Rng.below(seed + (train ? 0 : 0x5EED), step * batch + b, span);
            System.arraycopy(ids, start, x, b * t, t);
            System.arraycopy(ids, start + 1, y, b * t, t);
        }
        return new Batch(x, y);
    }

    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(vocab[t]);
        }
        return sb.toString();
    }

    public int[] encode(String s) {
        int[] out = new int[s.length()];
        for (int i = 0; i < out.length; i++) {
            char c = s.charAt(i);
            if (c >= index.length || (index[c] == 0 && vocab[0] != c)) {
                throw new LowbitException("character '" + c + "' is not in the corpus vocabulary");
            }
            out[i] = index[c];
        }
        return out;
    }

    String text() {
        return text;
    }
}
