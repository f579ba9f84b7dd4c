package dev.lowbit.policy;

/**
 * Where a GEMM of a Transformer sits (all NT: C = A·Bᵀ). Each site has a forward GEMM and, in training, two
 * gradient GEMMs ({@link GemmPass}).
 *
 * <ul>
 *   <li>{@code LINEAR}: y = x·Wᵀ of any linear layer (A = activations, B = weight)
 *   <li>{@code ATTN_SCORE}: S = Q·Kᵀ per attention head
 *   <li>{@code ATTN_VALUE}: O = P·V per attention head
 * </ul>
 */
public enum GemmSite {
    LINEAR, ATTN_SCORE, ATTN_VALUE
}
