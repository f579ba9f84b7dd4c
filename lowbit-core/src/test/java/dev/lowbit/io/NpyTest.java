package dev.lowbit.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NpyTest {
    @TempDir
    Path dir;

    private static byte[] bytes(NpyArray a) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, a);
        return out.toByteArray();
    }

    private static NpyArray read(byte[] b) throws IOException {
        return Npy.read(new ByteArrayInputStream(b), "test.npy");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtype(DType t) throws IOException {
        int[] shape = {2, 3};
        NpyArray a;
        if (t.isFloating()) {
            a = NpyArray.ofFloats(t, shape, new double[] {0, -1.5, 2.25, 65504, -0.0, 0.125});
        } else {
            long[] v = t == DType.U8 ? new long[] {0, 1, 127, 128, 200, 255}
                    : new long[] {0, -1, 1, 127, -128, t == DType.I8 ? 5 : 30000};
            if (t == DType.I64) {
                v[5] = Long.MIN_VALUE;
            }
            a = NpyArray.ofInts(t, shape, v);
        }
        byte[] b = bytes(a);
        assertThat((10 + ((b[8] & 0xff) | (b[9] & 0xff) << 8)) % 64).as("header aligned to 64").isZero();
        NpyArray back = read(b);
        assertThat(back.dtype()).isEqualTo(t);
        assertArrayEquals(shape, back.shape());
        if (t.isFloating()) {
            assertArrayEquals(a.floats(), back.floats());
        } else {
            assertArrayEquals(a.ints(), back.ints());
        }
    }

    @Test
    void writesFileAtomicallyAndReadsBack() {
        FloatMatrix m = FloatMatrix.of(new float[] {1, 2, 3}, new float[] {4, 5, 6});
        Path f = dir.resolve("m.npy");
        Npy.write(f, NpyArray.of(m));
        assertThat(Npy.read(f).toFloatMatrix("m").contentEquals(m)).isTrue();
        assertThat(dir.toFile().list()).containsExactly("m.npy");
    }

    @Test
    void readsBigEndianAndVersion2() throws IOException {
        String header = "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }";
        header = header + " ".repeat((64 - (12 + header.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(12 + header.length() + 12);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0});
        b.order(ByteOrder.LITTLE_ENDIAN).putInt(header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.order(ByteOrder.BIG_ENDIAN).putInt(7).putInt(-8).putInt(1 << 20);
        NpyArray a = read(b.array());
        assertArrayEquals(new long[] {7, -8, 1 << 20}, a.ints());
        assertArrayEquals(new int[] {3}, a.shape());
    }

    private static byte[] withHeader(String dict) {
        String h = dict + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length());
        b.put(h.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    @Test
    void rejectsFortranOrder() {
        assertThatThrownBy(() -> read(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("test.npy").hasMessageContaining("Fortran");
    }

    @Test
    void rejectsUnsupportedDtype() {
        assertThatThrownBy(() -> read(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("unsupported dtype '<c8'");
    }

    @Test
    void rejectsTruncatedData() {
        assertThatThrownBy(() -> read(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }")))
                .isInstanceOf(LowbitException.class).hasMessageContaining("truncated");
    }

    @Test
    void rejectsBadMagicAndMissingFile() throws IOException {
        Path f = dir.resolve("x.npy");
        Files.writeString(f, "hello, not numpy");
        assertThatThrownBy(() -> Npy.read(f)).isInstanceOf(LowbitException.class).hasMessageContaining("not a .npy file");
        assertThatThrownBy(() -> Npy.read(dir.resolve("missing.npy"))).isInstanceOf(LowbitException.class)
                .hasMessageContaining("no such file");
    }

    @Test
    void matrixConversionNeeds2D() throws IOException {
        NpyArray a = read(bytes(NpyArray.ofFloats(DType.F32, new int[] {4}, new double[4])));
        assertThatThrownBy(() -> a.toFloatMatrix("v.npy")).isInstanceOf(LowbitException.class)
                .hasMessage("v.npy: expected a 2-D array, got shape (4,)");
    }

    @Test
    void zeroSizeArrays() throws IOException {
        NpyArray a = read(bytes(NpyArray.ofFloats(DType.F32, new int[] {0, 5}, new double[0])));
        assertThat(a.toFloatMatrix("z").rows()).isZero();
        assertThat(a.toFloatMatrix("z").cols()).isEqualTo(5);
    }
}
