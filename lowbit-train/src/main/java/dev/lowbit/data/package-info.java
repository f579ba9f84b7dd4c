/** Training data: the King James Bible as a character corpus (shipped), Fashion-MNIST (from Debian). */
package dev.lowbit.data;
