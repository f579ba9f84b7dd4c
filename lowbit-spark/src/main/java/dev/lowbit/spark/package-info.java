/**
 * lowbit on Apache Spark (issue 18): {@link dev.lowbit.spark.LowbitSpark#embed} (MiniLM sentence embeddings in any
 * precision, one model per executor JVM, same bits as {@code ./lowbit embed}), {@link dev.lowbit.spark.Sweep}
 * (a training study as one Spark task per cell) and {@link dev.lowbit.spark.SparkCli} ({@code ./lowbit spark …}).
 * A leaf module: nothing in lowbit depends on it, and Spark itself is a provided dependency.
 */
package dev.lowbit.spark;
