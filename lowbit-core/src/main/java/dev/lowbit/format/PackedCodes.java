package dev.lowbit.format;

/**
 * Packs b-bit codes (1 ≤ b ≤ 32) into bytes, LSB first: code i occupies bits [i·b, (i+1)·b) of the
 * little-endian bit stream. For 4-bit codes that puts element 2j in the low nibble of byte j and element
 * 2j+1 in the high nibble (the torchao / OCP MXFP4 convention); 8-bit codes are one byte each.
 */
public final class PackedCodes {
    private PackedCodes() {}

    public static int packedLength(int count, int bits) {
        return (int) (((long) count * bits + 7) / 8);
    }

    public static byte[] pack(int[] codes, int bits) {
        byte[] out = new byte[packedLength(codes.length, bits)];
        long mask = bits == 32 ? 0xffffffffL : (1L << bits) - 1;
        long pos = 0;
        for (int c : codes) {
            long v = c & mask;
            if (v != (c & 0xffffffffL) && bits < 32) {
                throw new IllegalArgumentException("code " + c + " does not fit in " + bits + " bits");
            }
            for (int b = 0; b < bits; b++, pos++) {
                if ((v >>> b & 1) != 0) {
                    out[(int) (pos >>> 3)] |= (byte) (1 << (pos & 7));
                }
            }
        }
        return out;
    }

    public static int[] unpack(byte[] packed, int bits, int count) {
        if (packed.length < packedLength(count, bits)) {
            throw new IllegalArgumentException("packed data too short: " + packed.length + " bytes for " + count + " codes of "
                    + bits + " bits");
        }
        int[] out = new int[count];
        long pos = 0;
        for (int i = 0; i < count; i++) {
            int v = 0;
            for (int b = 0; b < bits; b++, pos++) {
                v |= (packed[(int) (pos >>> 3)] >>> (pos & 7) & 1) << b;
            }
            out[i] = v;
        }
        return out;
    }
}
