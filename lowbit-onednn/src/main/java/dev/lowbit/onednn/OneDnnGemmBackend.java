package dev.lowbit.onednn;

import dev.lowbit.Flags;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.simd.NativeIntBackend;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.IntMatrix;

/**
 * The oneDNN backend (name {@code onednn}, priority 20 — the default — where oneDNN loads and its self-test passes; −1 and
 * pure delegation to {@code simd} otherwise, with {@link #unavailableReason}). It owns exactly one thing: exact integer
 * GEMMs of b-bit operands with b ≤ {@link #maxExactBits()}, on the CPU's int8 dot-product hardware (AVX512-VNNI, AVX-VNNI,
 * AMX). Everything else is {@code simd}'s ({@link NativeIntBackend}: float32 GEMMs keep their bits whichever backend runs
 * them; wider integer GEMMs and the wide bound).
 *
 * <p>The exactness rule, per ISA (DESIGN §9, "exactness is the backend's promise"): with VNNI or AMX, u8·s8 products go
 * into int32 without intermediate saturation, so any |x| ≤ 127 is exact as long as each int32 sum is (k-chunks of at most
 * floor((2^31 − 1)/M²), summed in int64) — b ≤ 8. Without VNNI (AVX2, plain AVX-512, or {@code ONEDNN_MAX_CPU_ISA=AVX2}),
 * oneDNN computes s8·s8 as (a + 128)·b with {@code vpmaddubsw}, whose adjacent product pairs saturate at int16: exact only
 * for |x| ≤ 63 on both sides — b ≤ 7. The rule is checked at start-up on edge operands ({@link OneDnn#maxExactBits}); on
 * avx2 and avx512_core it finds exactly this (five products 127·127 sum to 16 639 instead of 80 645 at b = 8).
 *
 * <p>oneDNN is loaded and self-tested once, on the first call that needs to know — {@link #priority} included, so
 * {@code GemmBackends.all()} and the default choice trigger it (about 0.25 s to load and 0.2 s to self-test; the first run also
 * extracts 90 MB); naming another backend ({@code -Dlowbit.backend=simd}) does not.
 */
public final class OneDnnGemmBackend extends NativeIntBackend {
    /** Outranks {@code simd} (10) and {@code scalar} (0) when available. */
    public static final int PRIORITY = 20;

    /**
     * Relative time per multiply-add of the exact int8 path (float32 GEMM of {@code simd} = 1), narrowing and epilogue
     * included. Measured with {@code OneDnnBench} at 4096×1536×384 on an Intel Xeon (Sapphire Rapids class, AVX512-VNNI,
     * oneDNN ISA avx10_1_512, a shared 2-vCPU VM): int64 output 0.26 (1 thread) and 0.33 (2 threads), fold + rescale 0.25 and
     * 0.39, int32 output 0.16 and 0.19; the oneDNN call alone is 0.14–0.17, the rest is narrowing and the memory-bound
     * epilogue (simd's own paths: 0.75 at b = 4, 0.92–0.99 at b = 8). One value for every b ≤ 8: the kernel is the same.
     */
    static final double INT8_COST_PER_MAC = 0.30;

    /** Uses {@code lowbit.threads} threads (default: all processors). Cheap: oneDNN is not touched here. */
    public OneDnnGemmBackend() {
        this(Flags.threads());
    }

    public OneDnnGemmBackend(int threads) {
        super(threads);
    }

    /** oneDNN with its proven width, or the reason there is none; computed once. */
    private record State(OneDnn dnn, int bits, String reason) {}

    private static final class Holder {
        static final State STATE = state();

        private static State state() {
            var dnn = OneDnn.get();
            if (dnn.isEmpty()) {
                return new State(null, 0, OneDnn.unavailableReason());
            }
            int bits = dnn.get().maxExactBits();
            return bits == 0 ? new State(null, 0, "oneDNN self-test failed: " + dnn.get().selfTestReport()) : new State(dnn.get(), bits, null);
        }
    }

    /** Whether oneDNN is loaded and proven exact at some width here (loads it and runs the self-test on the first call). */
    public static boolean available() {
        return Holder.STATE.dnn() != null;
    }

    /** Why the backend only delegates, in one line; null when it is {@link #available}. */
    public static String unavailableReason() {
        return Holder.STATE.reason();
    }

    /** The widest operands (bits) that run on oneDNN here: 8 with VNNI/AMX, 7 without, 0 when unavailable. */
    public static int maxExactBits() {
        return Holder.STATE.bits();
    }

    /** One line for reports: library, ISA, proven width — or the reason. */
    public static String describe() {
        State s = Holder.STATE;
        return s.dnn() == null ? "onednn unavailable: " + s.reason()
                : s.dnn() + ", exact int8 GEMM for b ≤ " + s.bits() + " (" + s.dnn().selfTestReport() + ")";
    }

    @Override
    public String name() {
        return "onednn";
    }

    @Override
    protected String nativeUnavailable() {
        return unavailableReason();
    }

    @Override
    protected int nativeBits() {
        return maxExactBits();
    }

    @Override
    protected int availablePriority() {
        return PRIORITY;
    }

    @Override
    protected double nativeCostPerMac(int bits) {
        return INT8_COST_PER_MAC;
    }

    @Override
    protected void nativeGemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue) {
        new ExactGemm(Holder.STATE.dnn(), threads()).run(a, b, bits, epilogue);
    }

    /** The byte form: the packed weight's array goes to oneDNN's s8 GEMM without a narrowing copy. */
    @Override
    protected void nativeGemmInt(IntMatrix a, ByteMatrix b, int bits, IntEpilogue epilogue) {
        new ExactGemm(Holder.STATE.dnn(), threads()).run(a, b, bits, epilogue);
    }

    @Override
    protected GemmBackend create(int threads) {
        return new OneDnnGemmBackend(threads);
    }
}
