/** Vector API (jdk.incubator.vector) kernels; every kernel has a scalar twin in lowbit-core or beside it. */
package dev.lowbit.simd;
