package dev.lowbit.train;

import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;

/** How one GEMM operand is quantized. */
public sealed interface OperandSpec {
    /** Left in float32. */
    record Fp32() implements OperandSpec {}

    /** RTN percentile quantization (IM-Unpack's quantizer; heavy hitters kept unless clipping). */
    record Rtn(QuantParams params) implements OperandSpec {}

    OperandSpec FP32 = new Fp32();

    /** The operand as the GEMM sees it, in float32 (fake quantization: decode(encode(x))). */
    default FloatMatrix fakeQuantize(FloatMatrix x, String what) {
        return switch (this) {
            case Fp32 f -> x;
            case Rtn r -> RtnQuantizer.quantize(x, r.params(), what).dequantize();
        };
    }

    default String label() {
        return switch (this) {
            case Fp32 f -> "fp32";
            case Rtn r -> r.params().label();
        };
    }
}
