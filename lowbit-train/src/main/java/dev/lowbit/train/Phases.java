package dev.lowbit.train;

/** Nanoseconds per phase of one GEMM, and its IM-Unpack outcome. */
final class Phases {
    long quantize;
    long unpack;
    long gemm;
    long transpose;
    double ratio = 1;
    double hhA;
    double hhB;
    int bits;
    /** The GEMM ran on the exact float path (codes as float32 through the FP32 kernel, nothing unpacked). */
    boolean floatPath;
    /** The GEMM ran on the wide path (int32 codes through an exact float64-lane kernel, nothing unpacked). */
    boolean widePath;
}
