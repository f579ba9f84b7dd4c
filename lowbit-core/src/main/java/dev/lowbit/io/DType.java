package dev.lowbit.io;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The element types lowbit reads and writes in {@code .npy} files. */
public enum DType {
    F16("f2", 2, true),
    F32("f4", 4, true),
    F64("f8", 8, true),
    I8("i1", 1, false),
    I16("i2", 2, false),
    I32("i4", 4, false),
    I64("i8", 8, false),
    U8("u1", 1, false);

    private final String code;
    private final int bytes;
    private final boolean floating;

    DType(String code, int bytes, boolean floating) {
        this.code = code;
        this.bytes = bytes;
        this.floating = floating;
    }

    /** NumPy kind+size code without byte order, e.g. {@code f4}. */
    public String code() {
        return code;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return floating;
    }

    /** The little-endian descr written to headers, e.g. {@code <f4} ({@code |i1} for single bytes). */
    public String descr() {
        return (bytes == 1 ? "|" : "<") + code;
    }

    /** Lower-case short name: f16, f32, …, u8. */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Finds the dtype for a kind+size code such as {@code f4}, or null. */
    static DType fromCode(String code) {
        for (DType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }

    /** "f16, f32, …" for error messages. */
    public static String supportedList() {
        return Arrays.stream(values()).map(DType::shortName).collect(Collectors.joining(", "));
    }
}
