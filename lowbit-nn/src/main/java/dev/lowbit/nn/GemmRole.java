package dev.lowbit.nn;

import java.util.List;
import java.util.Locale;

/** The eight GEMMs of a BERT encoder layer. */
public enum GemmRole {
    /** query projection x·Wqᵀ */
    Q,
    /** key projection */
    K,
    /** value projection */
    V,
    /** attention output projection */
    O,
    /** FFN up-projection (before GELU) */
    FFN1,
    /** FFN down-projection */
    FFN2,
    /** attention scores Q_h·K_hᵀ (per sentence and head) */
    QK,
    /** attention context P·V_h (per sentence and head) */
    PV;

    /** The roles with a weight matrix. */
    public static final List<GemmRole> LINEAR = List.of(Q, K, V, O, FFN1, FFN2);

    public boolean hasWeight() {
        return this != QK && this != PV;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
