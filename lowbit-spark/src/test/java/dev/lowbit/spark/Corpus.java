package dev.lowbit.spark;

import dev.lowbit.cli.LowbitCli;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Test sentences (seeded) with the awkward cases, and {@code ./lowbit embed}'s output for them. */
final class Corpus {
    private Corpus() {}

    /** {@code n} sentences: ordinary ones, an empty line, a blank one, one far longer than 256 word pieces, non-ASCII. */
    static List<String> sentences(int n, long seed) {
        String[] words = {"low", "precision", "numerics", "are", "fun", "the", "model", "reads", "every", "token", "quickly",
            "integer", "matrix", "products", "stay", "exact", "spark", "runs", "tasks", "on", "executors", "naïve", "café", "東京"};
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int len = i == 3 ? 400 : 3 + r.nextInt(14); // line 3: ~400 words, truncated at 256 word pieces
            for (int w = 0; w < len; w++) {
                sb.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            out.add(i == 1 ? "" : i == 2 ? "   " : sb + (r.nextBoolean() ? "." : "!"));
        }
        return out;
    }

    static Path write(Path dir, List<String> lines) throws IOException {
        Path f = dir.resolve("sentences.txt");
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    /** {@code ./lowbit embed --in file --precision p} (through the CLI's entry point), as float rows. */
    static float[][] lowbitEmbed(Path file, String precision, Path dir) {
        Path out = dir.resolve("ref-" + precision + ".npy");
        StringWriter err = new StringWriter();
        int code = LowbitCli.execute(new String[] {"embed", "--in", file.toString(), "--out", out.toString(), "--precision", precision,
            "--no-compare", "--threads", "1"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        if (code != 0) {
            throw new AssertionError("lowbit embed failed: " + err);
        }
        NpyArray a = Npy.read(out);
        float[][] rows = new float[a.shape()[0]][a.shape()[1]];
        for (int i = 0; i < rows.length; i++) {
            for (int c = 0; c < rows[i].length; c++) {
                rows[i][c] = (float) a.floats()[i * rows[i].length + c];
            }
        }
        return rows;
    }
}
