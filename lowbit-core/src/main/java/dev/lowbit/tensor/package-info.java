/**
 * Dense row-major matrices ({@link dev.lowbit.tensor.FloatMatrix}, {@link dev.lowbit.tensor.IntMatrix},
 * {@link dev.lowbit.tensor.LongMatrix}) with offset/stride views. Element (r, c) lives at
 * {@code data[offset + r * stride + c]}.
 */
package dev.lowbit.tensor;
