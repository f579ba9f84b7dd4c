/** JMH benchmarks and peer baselines. Numbers go to docs/ with the command that produced them. */
package dev.lowbit.bench;
