/** lowbit: arbitrarily-low-precision arithmetic for Transformers. Root package: the user-facing error type. */
package dev.lowbit;
