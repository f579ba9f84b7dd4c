package dev.lowbit.policy;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;

/**
 * How one GEMM of a training step runs (one {@link GemmKey}: site and pass).
 *
 * @param lhs quantization of A
 * @param rhs quantization of B
 * @param exec {@code FLOAT}: the (fake-)quantized operands go to the float32 GEMM; {@code IMUNPACK}: both
 *     operands' RTN codes run as exact b-bit integer GEMMs through IM-Unpack; {@code DFP}: both operands' dynamic
 *     fixed point codes ({@link OperandSpec.Dfp}) run as an integer GEMM with int32 accumulation in bounded chunks
 *     ({@code gemm.DfpGemm}, Das et al. 2018)
 * @param bits b for {@code IMUNPACK}; 0 ({@code FastImUnpack.AUTO_BITS}): chosen per GEMM by cost
 * @param strategy unpacking strategy for {@code IMUNPACK}
 * @param hadamard apply a block Hadamard transform along k to both operands first ({@code (A·H)(B·H)ᵀ = A·Bᵀ}),
 *     with the largest power-of-two block up to 64 that divides k
 */
public record GemmSpec(OperandSpec lhs, OperandSpec rhs, Exec exec, int bits, UnpackStrategy strategy, boolean hadamard) {
    public enum Exec { FLOAT, IMUNPACK, DFP }

    public static final GemmSpec FP32 = new GemmSpec(OperandSpec.FP32, OperandSpec.FP32, Exec.FLOAT, 0, UnpackStrategy.AUTO, false);

    public GemmSpec {
        if (exec == Exec.IMUNPACK) {
            if (!(lhs instanceof OperandSpec.Rtn) || !(rhs instanceof OperandSpec.Rtn)) {
                throw new LowbitException("IM-Unpack execution needs RTN quantization on both operands");
            }
            if (bits != FastImUnpack.AUTO_BITS) {
                Digits.checkBits(bits);
            }
        }
        if (exec == Exec.DFP && (!(lhs instanceof OperandSpec.Dfp) || !(rhs instanceof OperandSpec.Dfp))) {
            throw new LowbitException("DFP execution needs dynamic fixed point (OperandSpec.Dfp) on both operands");
        }
    }

    public static GemmSpec fake(OperandSpec lhs, OperandSpec rhs) {
        return new GemmSpec(lhs, rhs, Exec.FLOAT, 0, UnpackStrategy.AUTO, false);
    }

    public static GemmSpec imunpack(OperandSpec lhs, OperandSpec rhs, int bits) {
        return new GemmSpec(lhs, rhs, Exec.IMUNPACK, bits, UnpackStrategy.AUTO, false);
    }

    /** Both operands in {@code bits}-bit dynamic fixed point, executed on the integer codes ({@code gemm.DfpGemm}). */
    public static GemmSpec dfp(int bits) {
        OperandSpec d = new OperandSpec.Dfp(bits);
        return new GemmSpec(d, d, Exec.DFP, 0, UnpackStrategy.AUTO, false);
    }

    public GemmSpec withHadamard() {
        return new GemmSpec(lhs, rhs, exec, bits, strategy, true);
    }

    public String label() {
        return (hadamard ? "hadamard, " : "") + lhs.label() + " x " + rhs.label() + (exec == Exec.IMUNPACK ? " (imunpack b=" + (bits == 0 ? "auto" : String.valueOf(bits)) + ", " + strategy.label() + ")"
                : exec == Exec.DFP ? " (int16 x int16 -> int32 in bounded chunks)" : "");
    }
}
