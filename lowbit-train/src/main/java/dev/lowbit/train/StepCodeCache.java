package dev.lowbit.train;

import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The RTN codes of one training step's operands, by storage array (identity) and view, so each tensor is quantized once
 * per step ({@link #codes}); {@link GemmExecutor#setStep} clears it.
 */
final class StepCodeCache {
    private final IdentityHashMap<float[], Map<CodeKey, RtnQuantizer.IntCodes>> cache = new IdentityHashMap<>();

    void clear() {
        synchronized (cache) {
            cache.clear();
        }
    }

    /**
     * The RTN codes of {@code x} (of xᵀ with {@code transpose}), quantized once per training step: the
     * backward GEMMs reuse the forward operands' codes (x, W, Q, K, V, P) and each gradient's codes serve
     * both of its GEMMs. A per-tensor percentile does not depend on the layout, so the cached codes, transposed
     * where needed, are exactly what quantizing again would give. Tensors are not modified within a step
     * (the optimizer updates the parameters after the backward pass, and {@link GemmExecutor#setStep} empties the cache).
     * Null when the codes do not fit int32 (the caller then takes the general path).
     */
    RtnQuantizer.IntCodes codes(FloatMatrix x, QuantParams p, boolean transpose, long heavyThreshold, String what, int threads) {
        CodeKey key = new CodeKey(x.index(0, 0), x.stride(), x.rows(), x.cols(), p, heavyThreshold);
        Map<CodeKey, RtnQuantizer.IntCodes> m;
        RtnQuantizer.IntCodes c;
        boolean known;
        synchronized (cache) { // batch items quantize in parallel (imunpackBatch)
            m = cache.computeIfAbsent(x.data(), d -> new HashMap<>());
            c = m.get(key);
            known = c != null || m.containsKey(key);
        }
        if (!known) {
            // the same tensor quantized twice at once would give the same codes: no lock held while quantizing
            c = RtnQuantizer.quantizeInt(x, p, what, false, heavyThreshold, threads);
            synchronized (cache) {
                m.put(key, c);
            }
        }
        return c == null ? null : transpose ? c.transposed(threads) : c;
    }

    private record CodeKey(int offset, int stride, int rows, int cols, QuantParams params, long heavyThreshold) {}
}
