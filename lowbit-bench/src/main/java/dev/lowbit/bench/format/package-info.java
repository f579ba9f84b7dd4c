/** JMH benchmarks of fake-quantization throughput (elements per second per core); results in docs/formats.md. */
package dev.lowbit.bench.format;
