package dev.lowbit.train;

import dev.lowbit.gemm.FastImUnpack;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** Running totals for one role: GEMM count, operations, and work-weighted unpack statistics. */
public final class RoleStats {
    long count;
    double ops;
    double unpackedOps;
    double heavyA;
    double heavyB;
    double maxRatio;
    double seconds;
    double quantizeSeconds;
    double unpackSeconds;
    double gemmSeconds;
    double transposeSeconds;
    double bitsOps;
    double intOps;
    double floatOps;
    double wideOps;
    long probes;
    /** Probed energies (signal, noise) by training step; their sums give {@link #sqnrDb()}. */
    final TreeMap<Long, double[]> byStep = new TreeMap<>();

    void add(double o, double ratio, double hhA, double hhB, double sec, int bits, Phases ph) {
        if (ph.floatPath) {
            floatOps += o;
        } else if (ph.widePath) {
            wideOps += o;
        } else if (bits > 0) {
            bitsOps += bits * o;
            intOps += o;
        }
        count++;
        seconds += sec;
        quantizeSeconds += ph.quantize / 1e9;
        unpackSeconds += ph.unpack / 1e9;
        gemmSeconds += ph.gemm / 1e9;
        transposeSeconds += ph.transpose / 1e9;
        ops += o;
        unpackedOps += o * ratio;
        heavyA += hhA * o;
        heavyB += hhB * o;
        maxRatio = Math.max(maxRatio, ratio);
    }

    /** A copy of these totals. */
    public RoleStats copy() {
        return new RoleStats().plus(this);
    }

    /** Adds {@code o}'s totals into this one and returns it. */
    public RoleStats plus(RoleStats o) {
        count += o.count;
        ops += o.ops;
        unpackedOps += o.unpackedOps;
        heavyA += o.heavyA;
        heavyB += o.heavyB;
        maxRatio = Math.max(maxRatio, o.maxRatio);
        seconds += o.seconds;
        quantizeSeconds += o.quantizeSeconds;
        unpackSeconds += o.unpackSeconds;
        gemmSeconds += o.gemmSeconds;
        transposeSeconds += o.transposeSeconds;
        bitsOps += o.bitsOps;
        intOps += o.intOps;
        floatOps += o.floatOps;
        wideOps += o.wideOps;
        probes += o.probes;
        for (var e : o.byStep.entrySet()) {
            double[] at = byStep.computeIfAbsent(e.getKey(), k -> new double[2]);
            at[0] += e.getValue()[0];
            at[1] += e.getValue()[1];
        }
        return this;
    }

    /** Seconds spent quantizing operands (RTN codes for IM-Unpack, fake quantization otherwise). */
    public double quantizeSeconds() {
        return quantizeSeconds;
    }

    /** Seconds spent choosing b and unpacking (IM-Unpack). */
    public double unpackSeconds() {
        return unpackSeconds;
    }

    /** Seconds in the GEMM kernels (for IM-Unpack: the integer GEMM with its fused fold and rescale). */
    public double gemmSeconds() {
        return gemmSeconds;
    }

    /** Seconds spent on transposed copies of operands (specs that need the NT layout). */
    public double transposeSeconds() {
        return transposeSeconds;
    }

    /** Work-weighted mean of the IM-Unpack bit-width b over the GEMMs that ran b-bit kernels (0 when none did). */
    public double meanBits() {
        return intOps == 0 ? 0 : bitsOps / intOps;
    }

    /**
     * Share of the work (multiply-adds) that IM-Unpack ran on the exact float path: codes as float32 through the
     * FP32 kernel, exact because every partial sum stays below 2^24 ({@code FastImUnpack.multiplyRows}).
     */
    public double floatPathShare() {
        return ops == 0 ? 0 : floatOps / ops;
    }

    /**
     * Share of the work that IM-Unpack ran on the wide path: the int32 codes, nothing unpacked, through an exact
     * float64-lane kernel (every partial sum below 2^53; {@code FastImUnpack.wide}) — for 15-bit gradient codes.
     */
    public double widePathShare() {
        return ops == 0 ? 0 : wideOps / ops;
    }

    /**
     * Output SQNR in dB of the probed GEMMs ({@link GemmExecutor#setProbe}): 10·log10(Σ ref² / Σ (out − ref)²) over
     * all their outputs, ref the float32 GEMM of the unquantized operands; NaN when none was probed, +∞ when exact.
     */
    public double sqnrDb() {
        double signal = 0;
        double noise = 0;
        for (double[] e : byStep.values()) {
            signal += e[0];
            noise += e[1];
        }
        return probes == 0 ? Double.NaN : db(signal, noise);
    }

    private static double db(double signal, double noise) {
        return 10 * Math.log10(signal / noise);
    }

    /** The output SQNR (dB) of each probed step's GEMMs, by step (counted from 1): {@code [step, dB]} pairs in order. */
    public List<double[]> sqnrDbByStep() {
        List<double[]> l = new ArrayList<>();
        for (var e : byStep.entrySet()) {
            l.add(new double[] {e.getKey(), db(e.getValue()[0], e.getValue()[1])});
        }
        return l;
    }

    /** How many GEMMs were probed. */
    public long probes() {
        return probes;
    }

    /** Useful GEMM operations per second of kernel time (2·m·n·k / gemmSeconds). */
    public double gflops() {
        return gemmSeconds == 0 ? 0 : ops / gemmSeconds / 1e9;
    }

    /** Wall time spent in these GEMMs (quantization, unpacking and fold included). */
    public double seconds() {
        return seconds;
    }

    public long count() {
        return count;
    }

    public double ops() {
        return ops;
    }

    /** Work-weighted mean unpack ratio: unpacked operations / original operations. */
    public double ratio() {
        return ops == 0 ? 1 : unpackedOps / ops;
    }

    public double maxRatio() {
        return maxRatio;
    }

    public double lhsHeavyHitterFraction() {
        return ops == 0 ? 0 : heavyA / ops;
    }

    public double rhsHeavyHitterFraction() {
        return ops == 0 ? 0 : heavyB / ops;
    }
}
