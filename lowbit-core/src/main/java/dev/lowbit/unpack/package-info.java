/**
 * IM-Unpack: rewriting integer matrices with arbitrarily large entries into larger matrices whose
 * entries all fit in b bits (|d| &lt; S = 2^(b−1)), such that low-bit GEMMs plus a fold give the exact
 * integer GEMM. Digits are taken by truncation (sign-magnitude), so each digit has the sign of its
 * value and a value needs the minimal number of base-S digits.
 */
package dev.lowbit.unpack;
