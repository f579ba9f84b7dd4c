package dev.lowbit.train;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a training run.
 *
 * @param trainLoss loss of every step
 * @param valLoss (step, validation loss) pairs
 * @param finalValLoss validation loss at the end
 * @param accuracy test accuracy (ViT) or NaN
 * @param tokensPerSecond training throughput (tokens for the GPT, images for the ViT)
 * @param unpack per-role GEMM statistics (count, ops, unpack ratio, heavy-hitter fractions)
 * @param sample generated text (GPT) or null
 * @param cpuSeconds CPU time of the training thread over the training steps (GEMM workers not included):
 *     with one thread it measures the work even when other processes share the cores
 * @param quantizerParams the policy's learned quantizer parameters (LSQ steps) by name without
 *     {@link QuantizerParams#PREFIX}: {initial value (NaN for a resumed run), final value}; empty for policies without
 */
public record RunResult(TrainConfig config, long parameters, double[] trainLoss, List<double[]> valLoss, double finalValLoss,
                        double accuracy, double tokensPerSecond, double seconds, Map<String, RoleStats> unpack,
                        String sample, int resumedFrom, double cpuSeconds,
                        Map<String, double[]> quantizerParams) {}
