package dev.lowbit.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.LowbitException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Fuzz target: the {@code .npy} reader on arbitrary bytes (header dict, shapes, dtypes, versions, truncation,
 * huge declared sizes). Either an array comes back, and writing it reads back the same, or a one-line
 * {@link LowbitException}; never another exception or an allocation beyond the input's size. The default build
 * replays the committed corpus in {@code NpyFuzzTestInputs/read/}; {@code -Pfuzz} fuzzes (docs/reliability.md).
 */
class NpyFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void read(byte[] data) throws IOException {
        // both paths: with the file's size known (Npy.read(Path)) and as a plain stream
        check(data, data.length);
        check(data, -1);
    }

    private static void check(byte[] data, long size) throws IOException {
        NpyArray a;
        try {
            a = Npy.read(new ByteArrayInputStream(data), "fuzz.npy", size);
        } catch (LowbitException e) {
            FuzzChecks.assertOneLine(e, "fuzz.npy");
            return;
        }
        long n = 1;
        for (int d : a.shape()) {
            n *= d;
        }
        assertThat(a.numel()).isEqualTo(n);
        assertThat(n * a.dtype().bytes()).isLessThanOrEqualTo(data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, a);
        NpyArray b = Npy.read(new ByteArrayInputStream(out.toByteArray()), "again.npy");
        assertThat(b.dtype()).isEqualTo(a.dtype());
        assertThat(b.shape()).isEqualTo(a.shape());
        assertThat(b.floats()).isEqualTo(a.floats());
        assertThat(b.ints()).isEqualTo(a.ints());
    }
}
