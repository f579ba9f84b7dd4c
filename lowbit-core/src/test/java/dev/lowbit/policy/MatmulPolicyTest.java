package dev.lowbit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrecisionPolicyTest {

    /** The role labels are JSON keys of training results and checkpoint parameter names: they must not change. */
    @Test
    void labelsAreTheTrainingRoleLabels() {
        assertThat(GemmKey.LABELS).containsExactly("output", "grad-input", "grad-weight", "attn-score", "attn-score-grad",
                "attn-value", "attn-value-grad");
        assertThat(GemmKey.ALL).hasSize(9).extracting(GemmKey::label).containsExactly("output", "grad-input", "grad-weight",
                "attn-score", "attn-score-grad", "attn-score-grad", "attn-value", "attn-value-grad", "attn-value-grad");
        for (GemmKey k : GemmKey.ALL) {
            assertThat(GemmKey.of(k.site(), k.pass())).isSameAs(k).isEqualTo(new GemmKey(k.site(), k.pass()));
        }
        assertThat(GemmKey.of(GemmSite.ATTN_VALUE, GemmPass.FORWARD).backwardKeys()).containsExactly(
                GemmKey.of(GemmSite.ATTN_VALUE, GemmPass.GRAD_INPUT), GemmKey.of(GemmSite.ATTN_VALUE, GemmPass.GRAD_WEIGHT));
        assertThat(GemmKey.of(GemmSite.LINEAR, GemmPass.GRAD_WEIGHT).backwardKeys()).isEmpty();
    }

    @Test
    void missingKeysRunInFp32AndUniformSplitsByPass() {
        GemmSpec f = GemmSpec.fake(new OperandSpec.Lsq4(), new OperandSpec.Lsq4());
        PrecisionPolicy p = new PrecisionPolicy("one", Map.of(GemmKey.of(GemmSite.ATTN_SCORE, GemmPass.FORWARD), f));
        assertThat(p.specs().keySet()).containsExactlyElementsOf(GemmKey.ALL);
        assertThat(p.spec(GemmSite.ATTN_SCORE, GemmPass.FORWARD)).isEqualTo(f);
        assertThat(p.spec(GemmSite.LINEAR, GemmPass.FORWARD)).isEqualTo(GemmSpec.FP32);
        PrecisionPolicy u = PrecisionPolicy.uniform("u", f, GemmSpec.FP32);
        for (GemmKey k : GemmKey.ALL) {
            assertThat(u.spec(k)).isEqualTo(k.isBackward() ? GemmSpec.FP32 : f);
        }
        assertThat(u.savesForward(GemmSite.LINEAR)).isFalse();
    }

    @Test
    void learnedStepsNeedBothGradientPassesToReuseTheForwardOperand() {
        GemmSpec lsq = GemmSpec.fake(new OperandSpec.LsqLearned(), new OperandSpec.LsqLearned());
        GemmSpec saved = GemmSpec.fake(OperandSpec.FP32, new OperandSpec.Saved());
        GemmKey fwd = GemmKey.of(GemmSite.ATTN_SCORE, GemmPass.FORWARD);
        GemmKey gi = GemmKey.of(GemmSite.ATTN_SCORE, GemmPass.GRAD_INPUT);
        GemmKey gw = GemmKey.of(GemmSite.ATTN_SCORE, GemmPass.GRAD_WEIGHT);
        PrecisionPolicy ok = new PrecisionPolicy("ok", Map.of(fwd, lsq, gi, saved, gw, saved));
        assertThat(ok.savesForward(GemmSite.ATTN_SCORE)).isTrue();
        assertThat(ok.savesForward(GemmSite.ATTN_VALUE)).isFalse();
        assertThatThrownBy(() -> new PrecisionPolicy("bad", Map.of(fwd, lsq, gi, saved))).isInstanceOf(LowbitException.class)
                .hasMessageContaining("attn-score-grad must reuse");
        assertThatThrownBy(() -> new PrecisionPolicy("bad", Map.of(gw, lsq))).isInstanceOf(LowbitException.class)
                .hasMessageContaining("attn-score-grad is a backward role");
        assertThatThrownBy(() -> new PrecisionPolicy("bad", Map.of(fwd, saved))).isInstanceOf(LowbitException.class)
                .hasMessageContaining("attn-score is a forward role");
        assertThatThrownBy(() -> new PrecisionPolicy("bad", Map.of(gi, saved.withHadamard()))).isInstanceOf(LowbitException.class)
                .hasMessageContaining("cannot add its own Hadamard");
        assertThat(List.of(GemmPass.values())).filteredOn(GemmPass::isBackward).containsExactly(GemmPass.GRAD_INPUT, GemmPass.GRAD_WEIGHT);
    }
}
