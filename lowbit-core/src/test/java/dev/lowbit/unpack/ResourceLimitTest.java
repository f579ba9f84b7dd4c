package dev.lowbit.unpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.MatrixLayout;
import org.junit.jupiter.api.Test;

/**
 * Resource limits up front (issue 16 item 5): an unpacking or a matrix that cannot be allocated fails before anything is
 * allocated, with the computed size in one line — never an OutOfMemoryError or a wrapped count.
 */
class ResourceLimitTest {
    @Test
    void anUnpackingLargerThanTheHeapFailsUpFrontWithItsSize() {
        // 1 row of 2^20 codes of 62 bits: at b = 2 every column needs 62 digits on each side, 3844 digit pairs per column,
        // so COLUMN unpacking would make k' = 2^20·3844 ≈ 4·10^9 columns; ROW makes 62 digit rows of 2^20 (fine).
        int k = 1 << 20;
        LongMatrix a = LongMatrix.zeros(1, k);
        java.util.Arrays.fill(a.data(), (1L << 61) + 12345);
        assertThatThrownBy(() -> Unpacker.unpack(a, a, 2, UnpackStrategy.COLUMN)).isInstanceOf(LowbitException.class)
                .hasMessageStartingWith("the rhs unpacked into digit columns 1x4030726144 is too large (4030726144 elements");
        Unpacked u = Unpacker.unpack(a, a, 2, UnpackStrategy.ROW);
        assertThat(u.lhs().rows()).isEqualTo(62);
    }

    @Test
    void aMatrixLargerThanTheHeapFailsBeforeAllocating() {
        long max = Runtime.getRuntime().maxMemory();
        int rows = 46_000; // 46 000² int64 = 15.8 GiB, float32 7.9 GiB: beyond the test JVM's heap, within array limits
        org.junit.jupiter.api.Assumptions.assumeTrue((long) rows * rows * 4 > max, "the test JVM's heap holds 7.9 GiB");
        assertThatThrownBy(() -> LongMatrix.zeros(rows, rows)).isInstanceOf(LowbitException.class)
                .hasMessage("matrix 46000x46000 int64 needs 15.8 GiB, more than this JVM's heap limit of " + MatrixLayout.human(max)
                        + " (raise it with JAVA_OPTS=-Xmx…)");
        assertThatThrownBy(() -> FloatMatrix.zeros(rows, rows)).isInstanceOf(LowbitException.class).hasMessageContaining("float32 needs 7.9 GiB");
        assertThatThrownBy(() -> FloatMatrix.zeros(100_000, 100_000)).isInstanceOf(LowbitException.class)
                .hasMessage("matrix 100000x100000 is too large (10000000000 elements; a Java array holds at most 2^31 − 17)");
        assertThat(MatrixLayout.human(1536)).isEqualTo("1.5 KiB");
        assertThat(MatrixLayout.human(12)).isEqualTo("12 B");
    }
}
