package dev.lowbit.cli;

import dev.lowbit.format.FakeQuant;
import dev.lowbit.format.Formats;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.report.Json;
import dev.lowbit.report.Table;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's number-format section: SQNR of fake quantization (round to nearest even) to each format on one
 * heavy-tailed matrix (Student-t, ν = 3). Minifloats take the values as they are (no scale), integer formats a
 * per-tensor or per-row scale, block formats their own scales along the rows.
 */
final class FormatsDemo {
    static final int ROWS = 128;
    static final int COLS = 256;
    static final List<String> FORMATS = List.of("fp16", "bf16", "e5m2", "e4m3", "e3m2", "e2m3", "e2m1", "int8", "int8-row", "int4",
            "int4-row", "int4-g32", "mxfp8-e4m3", "mxfp8-e5m2", "mxfp6-e3m2", "mxfp6-e2m3", "mxfp4", "mxint8", "nvfp4", "bfp4", "bfp8");

    record Row(String format, double bits, double sqnrDb, long saturated) {}

    private FormatsDemo() {}

    static List<Row> run(long seed) {
        FloatMatrix m = RandomMatrices.studentT(ROWS, COLS, 3, seed + 6);
        float[] x = m.toArray();
        List<Row> rows = new ArrayList<>();
        for (String name : FORMATS) {
            NumberFormat f = Formats.parse(name);
            FakeQuant.Result r = FakeQuant.apply(f, x, new int[] {ROWS, COLS}, Rounding.NEAREST_EVEN, 1);
            rows.add(new Row(f.name(), f.info().bits(), r.sqnrDb(), r.stats().saturated()));
        }
        return rows;
    }

    static List<Json> json(List<Row> rows) {
        return rows.stream().map(r -> Json.object().put("format", r.format()).put("bits", r.bits()).put("sqnrDb", r.sqnrDb())
                .put("saturated", r.saturated())).toList();
    }

    static String table(List<Row> rows, long seed) {
        Table t = new Table("format", "bits/value", "SQNR (dB)", "saturated");
        for (Row r : rows) {
            t.row(r.format(), r.bits() == Math.rint(r.bits()) ? String.valueOf((long) r.bits()) : String.valueOf(r.bits()),
                    String.format(Locale.ROOT, "%.2f", r.sqnrDb()), r.saturated());
        }
        return "\nnumber formats: fake quantization (round to nearest even) of a " + ROWS + "x" + COLS
                + " Student-t (nu = 3) matrix, seed " + (seed + 6) + "\n"
                + "Minifloats take the values unscaled (FP4/FP6 saturate on the tails); int formats use a per-tensor/row/group\n"
                + "scale; MX (32-value blocks, E8M0 scale), NVFP4 (16-value blocks, E4M3 + FP32 scales) and BFP scale each block.\n"
                + t;
    }
}
