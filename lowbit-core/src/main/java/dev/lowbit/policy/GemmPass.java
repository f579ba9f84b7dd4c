package dev.lowbit.policy;

/**
 * Which of a site's GEMMs ({@link GemmSite}) runs: the forward C = A·Bᵀ or one of its two gradients. In both
 * gradient passes the operand that is a gradient is the left one.
 *
 * <ul>
 *   <li>{@code FORWARD}: y = x·Wᵀ, S = Q·Kᵀ, O = P·V
 *   <li>{@code GRAD_INPUT}: the gradient of the left operand, dC·B — dx = dy·W, dQ = dS·K, dP = dO·Vᵀ
 *   <li>{@code GRAD_WEIGHT}: the gradient of the right operand, dCᵀ·A — dW = dyᵀ·x, dK = dSᵀ·Q, dV = Pᵀ·dO
 * </ul>
 */
public enum GemmPass {
    FORWARD, GRAD_INPUT, GRAD_WEIGHT;

    /** True for the gradient passes. */
    public boolean isBackward() {
        return this != FORWARD;
    }
}
