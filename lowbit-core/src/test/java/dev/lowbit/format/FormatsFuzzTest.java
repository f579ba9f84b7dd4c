package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;

/**
 * Fuzz target: the format-name parser ({@code ./lowbit quantize --format}, {@code e4m3}, {@code mxfp4},
 * {@code bfp8-b16}, {@code int4-row-asym}, {@code e3m4-fn-b-2} … and garbage), then the parsed format on a small
 * matrix of fuzzed shape and values. Either a format that parses its own name back and rounds, or a one-line
 * {@link LowbitException}; never an IllegalArgumentException, NumberFormatException or anything else.
 */
class FormatsFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void parse(FuzzedDataProvider data) {
        int rows = data.consumeInt(1, 4);
        int cols = data.consumeInt(1, 70);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = data.consumeBoolean() ? data.consumeRegularFloat(-1e6f, 1e6f) : data.consumeFloat();
        }
        String name = data.consumeRemainingAsString();
        NumberFormat f;
        try {
            f = Formats.parse(name);
        } catch (LowbitException e) {
            assertOneLine(e);
            return;
        }
        assertThat(Formats.parse(f.name()).name()).isEqualTo(f.name());
        float[] out = new float[x.length];
        try {
            f.round(x, out, rows, cols, Rounding.NEAREST_EVEN, 1);
        } catch (LowbitException e) {
            assertOneLine(e); // e.g. a block that does not divide the row, or NaN input to an integer format
        }
    }

    static void assertOneLine(LowbitException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
        assertThat(e.getMessage().length()).isLessThanOrEqualTo(LowbitException.MAX_LENGTH);
    }
}
