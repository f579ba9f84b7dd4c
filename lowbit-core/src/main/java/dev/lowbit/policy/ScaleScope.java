package dev.lowbit.policy;

/**
 * Where an operand "tensor" ends when a spec asks for one scale per tensor (RTN with {@code Granularity.TENSOR}, FP8's
 * tensor scale, NVFP4's FP32 tensor scale). The spec says <i>how</i> a tensor is quantized; the engine running it
 * says <i>what</i> a tensor is, and reports it with this value.
 */
public enum ScaleScope {
    /**
     * The whole operand of one GEMM call: in training, a linear input is the batch's every token (batch × context
     * rows) and an attention operand is one (sequence, head) — what {@code train.GemmExecutor} quantizes.
     */
    BATCH,
    /**
     * One sequence: in inference, a linear input's scale never spans two sentences and an attention operand is one
     * (sequence, head), so a sentence's embedding does not depend on its batch-mates — what {@code nn.Bert} quantizes.
     */
    SEQUENCE;

    public String label() {
        return this == BATCH ? "batch" : "sequence";
    }
}
