package dev.lowbit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;

class MatrixTest {
    @Test
    void viewsShareStorageAndCopyCompacts() {
        LongMatrix m = LongMatrix.wrap(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4);
        LongMatrix v = m.view(1, 1, 2, 2);
        assertArrayEquals(new long[] {6, 7, 10, 11}, v.toArray());
        v.set(0, 0, -6);
        assertThat(m.get(1, 1)).isEqualTo(-6);
        assertThat(v.sharesStorageWith(m)).isTrue();
        assertThat(v.copy().sharesStorageWith(m)).isFalse();
        assertThat(v.isContiguous()).isFalse();
        assertThat(v.copy().contentEquals(v)).isTrue();
        assertThat(m.view(1, 0, 1, 4).isContiguous()).isTrue();
        assertArrayEquals(new long[] {9, 10, 11, 12}, m.row(2));
    }

    @Test
    void rejectsBadShapesAndViews() {
        assertThatThrownBy(() -> FloatMatrix.zeros(-1, 2)).isInstanceOf(LowbitException.class);
        assertThatThrownBy(() -> IntMatrix.wrap(new int[5], 2, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IntMatrix.zeros(2, 2).view(1, 1, 2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> IntMatrix.of(new int[] {1}, new int[] {1, 2})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FloatMatrix.zeros(1 << 16, 1 << 16)).isInstanceOf(LowbitException.class).hasMessageContaining("too large");
    }

    @Test
    void zeroSizedMatrices() {
        FloatMatrix z = FloatMatrix.zeros(0, 5);
        assertThat(z.size()).isZero();
        assertThat(z.copy().cols()).isEqualTo(5);
        assertThat(FloatMatrix.of().rows()).isZero();
    }

    @Test
    void randomMatricesAreSeeded() {
        assertArrayEquals(RandomMatrices.studentT(4, 5, 3, 1).data(), RandomMatrices.studentT(4, 5, 3, 1).data());
        assertThat(RandomMatrices.gaussian(4, 5, 1).contentEquals(RandomMatrices.gaussian(4, 5, 2))).isFalse();
    }

    @Test
    void byteMatrixNarrowsOnlyCodesWithinPlusMinus127AndWidensBack() {
        int[] codes = {127, -127, 0, 5, -1, 64};
        ByteMatrix b = ByteMatrix.narrow(codes, 2, 3);
        assertThat(b).isNotNull();
        assertArrayEquals(codes, b.toIntArray());
        assertArrayEquals(new float[] {127, -127, 0, 5, -1, 64}, b.toFloatArray());
        assertThat(b.contentEquals(IntMatrix.wrap(codes, 2, 3))).isTrue();
        assertThat(b.view(1, 1, 1, 2).toIntMatrix().toArray()).containsExactly(-1, 64);
        assertThat(b.residentBytes()).isEqualTo(16 + 6);
        assertThat(ByteMatrix.narrow(new int[] {1, 128}, 1, 2)).isNull();
        assertThat(ByteMatrix.narrow(new int[] {-128, 0}, 1, 2)).isNull();
        assertThat(ByteMatrix.narrow(new int[] {Integer.MIN_VALUE}, 1, 1)).isNull();
        assertThatThrownBy(() -> ByteMatrix.narrow(new int[3], 2, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
