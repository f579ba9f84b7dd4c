package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;

/**
 * How one GEMM role runs.
 *
 * @param lhs quantization of A
 * @param rhs quantization of B
 * @param exec {@code FLOAT}: the (fake-)quantized operands go to the float32 GEMM; {@code IMUNPACK}: both
 *     operands' RTN codes run as exact b-bit integer GEMMs through IM-Unpack
 * @param bits b for {@code IMUNPACK}
 * @param strategy unpacking strategy for {@code IMUNPACK}
 */
public record GemmSpec(OperandSpec lhs, OperandSpec rhs, Exec exec, int bits, UnpackStrategy strategy) {
    public enum Exec { FLOAT, IMUNPACK }

    public static final GemmSpec FP32 = new GemmSpec(OperandSpec.FP32, OperandSpec.FP32, Exec.FLOAT, 0, UnpackStrategy.AUTO);

    public GemmSpec {
        if (exec == Exec.IMUNPACK) {
            if (!(lhs instanceof OperandSpec.Rtn) || !(rhs instanceof OperandSpec.Rtn)) {
                throw new LowbitException("IM-Unpack execution needs RTN quantization on both operands");
            }
            Digits.checkBits(bits);
        }
    }

    public static GemmSpec fake(OperandSpec lhs, OperandSpec rhs) {
        return new GemmSpec(lhs, rhs, Exec.FLOAT, 0, UnpackStrategy.AUTO);
    }

    public String label() {
        return lhs.label() + " x " + rhs.label() + (exec == Exec.IMUNPACK ? " (imunpack b=" + bits + ", " + strategy.label() + ")" : "");
    }
}
