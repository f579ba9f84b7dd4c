package dev.lowbit.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * One GEMM of a training step: its site and pass. {@link #label()} is the role label that training results
 * (JSON keys, statistics) and checkpoint parameter names use; the two gradient passes of an attention site
 * share one label.
 */
public record GemmKey(GemmSite site, GemmPass pass) {
    /** Every key, site-major, passes in declaration order. */
    public static final List<GemmKey> ALL;

    /**
     * The distinct role labels in report order: output, grad-input, grad-weight, attn-score, attn-score-grad,
     * attn-value, attn-value-grad.
     */
    public static final List<String> LABELS;

    static {
        List<GemmKey> all = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (GemmSite s : GemmSite.values()) {
            for (GemmPass p : GemmPass.values()) {
                GemmKey k = new GemmKey(s, p);
                all.add(k);
                if (!labels.contains(k.label())) {
                    labels.add(k.label());
                }
            }
        }
        ALL = List.copyOf(all);
        LABELS = List.copyOf(labels);
    }

    public GemmKey {
        if (site == null || pass == null) {
            throw new NullPointerException("site and pass");
        }
    }

    public static GemmKey of(GemmSite site, GemmPass pass) {
        return ALL.get(site.ordinal() * GemmPass.values().length + pass.ordinal());
    }

    /** True for the gradient passes. */
    public boolean isBackward() {
        return pass.isBackward();
    }

    /** The gradient GEMMs of a forward key (left operand, then right); none for a gradient key. */
    public List<GemmKey> backwardKeys() {
        return isBackward() ? List.of() : List.of(of(site, GemmPass.GRAD_INPUT), of(site, GemmPass.GRAD_WEIGHT));
    }

    /** The role label of this GEMM; see {@link #label(GemmSite, GemmPass)}. */
    public String label() {
        return label(site, pass);
    }

    /**
     * The role label: LINEAR's passes are output, grad-input and grad-weight; an attention site's forward is
     * attn-score or attn-value and both its gradient passes are attn-score-grad or attn-value-grad.
     */
    public static String label(GemmSite site, GemmPass pass) {
        return switch (site) {
            case LINEAR -> switch (pass) {
                case FORWARD -> "output";
                case GRAD_INPUT -> "grad-input";
                case GRAD_WEIGHT -> "grad-weight";
            };
            case ATTN_SCORE -> pass == GemmPass.FORWARD ? "attn-score" : "attn-score-grad";
            case ATTN_VALUE -> pass == GemmPass.FORWARD ? "attn-value" : "attn-value-grad";
        };
    }
}
