package dev.lowbit.gemm;

import dev.lowbit.quant.QuantParams;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;

/**
 * Configuration of one IM-Unpack GEMM.
 *
 * @param lhs quantization of the left operand A (m×k)
 * @param rhs quantization of the right operand B (n×k)
 * @param bits bit-width b of the low-bit GEMMs (2..16); the result does not depend on it, only the speed
 * @param strategy how out-of-range entries are unpacked
 */
public record ImUnpackSpec(QuantParams lhs, QuantParams rhs, int bits, UnpackStrategy strategy) {
    public ImUnpackSpec {
        Digits.checkBits(bits);
    }

    public static ImUnpackSpec of(QuantParams both, int bits, UnpackStrategy strategy) {
        return new ImUnpackSpec(both, both, bits, strategy);
    }
}
