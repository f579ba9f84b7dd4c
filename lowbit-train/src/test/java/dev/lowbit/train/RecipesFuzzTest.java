package dev.lowbit.train;

import dev.lowbit.policy.Presets;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.LowbitException;

/**
 * Fuzz target: the training-policy parser ({@code ./lowbit train --policy}): names, {@code NAME:L} with good and bad
 * L ({@code imunpack:31}, {@code imunpack:2}, {@code imunpack:99999999999}, {@code fp8:7}, {@code imunpack:}),
 * with any bit-width, step count and layer count. Either a policy covering every GEMM role, or a one-line
 * {@link LowbitException}; never NumberFormatException, StringIndexOutOfBounds or anything else.
 */
class RecipesFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void byName(FuzzedDataProvider data) {
        int bits = data.consumeInt(0, 16);
        long steps = data.consumeLong();
        int layers = data.consumeInt();
        String name = data.consumeRemainingAsString();
        PrecisionPolicy p;
        try {
            p = Presets.byName(name, bits, steps, layers);
        } catch (LowbitException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
            assertThat(e.getMessage().length()).isLessThanOrEqualTo(LowbitException.MAX_LENGTH);
            return;
        }
        assertThat(p.name()).isEqualTo(name);
        assertThat(p.specs().keySet()).containsExactlyInAnyOrderElementsOf(GemmKey.ALL);
    }
}
