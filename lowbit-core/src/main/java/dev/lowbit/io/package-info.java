/** Reading and writing NumPy {@code .npy} files, and atomic (temp file + rename) output. */
package dev.lowbit.io;
