package dev.lowbit.autograd;

import java.util.List;
import java.util.Locale;

/**
 * The GEMMs of a Transformer training step (all NT: C = A·Bᵀ).
 *
 * <ul>
 *   <li>{@code OUTPUT}: y = x·Wᵀ (A = activations, B = weight)
 *   <li>{@code GRAD_INPUT}: dx = dy·W (A = output gradient, B = Wᵀ)
 *   <li>{@code GRAD_WEIGHT}: dW = dyᵀ·x (A = dyᵀ, B = xᵀ)
 *   <li>{@code ATTN_SCORE}: S = Q·Kᵀ per head; {@code ATTN_SCORE_GRAD}: dQ = dS·K and dK = dSᵀ·Q
 *   <li>{@code ATTN_VALUE}: O = P·V per head; {@code ATTN_VALUE_GRAD}: dP = dO·Vᵀ and dV = Pᵀ·dO
 * </ul>
 * In every backward role the operand that is a gradient is the left one (A).
 */
public enum GemmRole {
    OUTPUT, GRAD_INPUT, GRAD_WEIGHT, ATTN_SCORE, ATTN_SCORE_GRAD, ATTN_VALUE, ATTN_VALUE_GRAD;

    /** True for the roles whose left operand is a gradient. */
    public boolean isBackward() {
        return this == GRAD_INPUT || this == GRAD_WEIGHT || this == ATTN_SCORE_GRAD || this == ATTN_VALUE_GRAD;
    }

    /** The backward roles whose GEMMs differentiate this forward role's GEMM (none for a backward role). */
    public List<GemmRole> backwardRoles() {
        return switch (this) {
            case OUTPUT -> List.of(GRAD_INPUT, GRAD_WEIGHT);
            case ATTN_SCORE -> List.of(ATTN_SCORE_GRAD);
            case ATTN_VALUE -> List.of(ATTN_VALUE_GRAD);
            default -> List.of();
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
