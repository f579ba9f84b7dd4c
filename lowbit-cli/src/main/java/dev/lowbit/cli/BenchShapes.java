package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import java.util.Locale;

/** Parses GEMM shapes written {@code MxNxK}. */
final class BenchShapes {
    private BenchShapes() {}

    static int[] parse(String s) {
        String[] p = s.strip().toLowerCase(Locale.ROOT).split("x");
        if (p.length != 3) {
            throw new LowbitException("shape must be MxNxK (e.g. 4096x1536x384), got '" + s + "'");
        }
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                out[i] = Integer.parseInt(p[i]);
            } catch (NumberFormatException e) {
                throw new LowbitException("shape must be MxNxK with positive integers, got '" + s + "'");
            }
            if (out[i] < 1) {
                throw new LowbitException("shape must be MxNxK with positive integers, got '" + s + "'");
            }
        }
        return out;
    }
}
