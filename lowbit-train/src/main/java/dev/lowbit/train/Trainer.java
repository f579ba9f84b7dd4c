package dev.lowbit.train;

import dev.lowbit.policy.Presets;
import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Ops;
import dev.lowbit.autograd.Tensor;
import dev.lowbit.data.CharCorpus;
import dev.lowbit.data.FashionMnist;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.io.AtomicFiles;
import dev.lowbit.round.Rng;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop: seeded data, AdamW with warm-up + cosine schedule and gradient clipping, periodic
 * validation, optional atomic checkpoints and bit-identical resume, per-role GEMM statistics.
 */
public final class Trainer {
    private Trainer() {}

    /** Progress callback (the CLI draws a progress line from it). */
    public interface Listener {
        void step(int step, int total, double loss, double itemsPerSecond);
    }

    /** One trainable task: a model, a loss per step, an evaluation. */
    interface Task {
        Model model();

        Tensor loss(GemmExecutor ex, GemmExecutor fp32, long step);

        /** (validation loss, accuracy or NaN). */
        double[] evaluate(GemmExecutor ex, GemmExecutor fp32, boolean full);

        int itemsPerStep();

        default String sample(GemmExecutor ex, GemmExecutor fp32) {
            return null;
        }
    }

    public static RunResult run(TrainConfig c, GemmBackend backend, boolean resume, Listener listener) {
        GemmExecutor ex = new GemmExecutor(Presets.byName(c.policy(), c.bits(), c.steps(), c.layers()), backend);
        GemmExecutor fp32 = new GemmExecutor(Presets.byName("fp32", c.bits()), backend);
        fp32.setRecording(false);
        Task task = c.task().equals("kjv-gpt") ? new GptTask(c) : new VitTask(c);
        Model model = task.model();
        AdamW opt = new AdamW(0.9, 0.98, 1e-8, 0.01, c.clip());
        LrSchedule lr = new LrSchedule(c.lr(), c.warmup(), c.steps(), 0.1);
        List<Double> trainLoss = new ArrayList<>();
        List<double[]> valLoss = new ArrayList<>();
        int start = 0;
        Path ckpt = c.checkpointDir() == null ? null : Checkpoint.file(c.checkpointDir(), c);
        if (ckpt != null) {
            AtomicFiles.removeStaleTemporaries(ckpt); // left by a run killed while it wrote its checkpoint
        }
        if (resume) {
            if (ckpt == null) {
                throw new LowbitException("--resume needs --checkpoint DIR");
            }
            start = Checkpoint.load(ckpt, c, model, ex.quantizerParams(), opt, trainLoss, valLoss);
        }
        double trainSeconds = 0;
        long cpuNanos = 0;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean cpu = mx.isCurrentThreadCpuTimeSupported();
        long items = 0;
        Map<String, Double> initial = new HashMap<>();
        for (int step = start; step < c.steps(); step++) {
            long t0 = System.nanoTime();
            long c0 = cpu ? mx.getCurrentThreadCpuTime() : 0;
            for (Tensor p : model.params().values()) {
                p.zeroGrad();
            }
            ex.quantizerParams().zeroGrad();
            ex.setStep(c.seed(), step);
            boolean last = step + 1 == c.steps();
            ex.setProbe((step + 1) % c.evalEvery() == 0 || last); // the steps before each validation
            long probed = ex.probeNanos();
            Tensor loss = task.loss(ex, fp32, step);
            if (step == 0) {
                for (var e : ex.quantizerParams().params().entrySet()) {
                    initial.put(e.getKey(), (double) e.getValue().data[0]);
                }
            }
            loss.backward();
            opt.step(model, ex.quantizerParams(), lr.at(step));
            trainSeconds += (System.nanoTime() - t0 - (ex.probeNanos() - probed)) / 1e9;
            cpuNanos += cpu ? mx.getCurrentThreadCpuTime() - c0 : 0;
            items += task.itemsPerStep();
            trainLoss.add((double) loss.item());
            if (listener != null) {
                listener.step(step + 1, c.steps(), loss.item(), items / Math.max(trainSeconds, 1e-9));
            }
            if ((step + 1) % c.evalEvery() == 0 || last) {
                ex.setRecording(false);
                ex.setStep(c.seed() ^ 0xE7A1L, c.steps() - 1L); // evaluation: the final schedule, its own random stream
                valLoss.add(new double[] {step + 1, task.evaluate(ex, fp32, false)[0]});
                ex.setRecording(true);
            }
            if (ckpt != null && (last || (c.checkpointEvery() > 0 && (step + 1) % c.checkpointEvery() == 0))) {
                Checkpoint.save(ckpt, c, model, ex.quantizerParams(), opt, step + 1, trainLoss, valLoss);
            }
        }
        ex.setRecording(false);
        ex.setStep(c.seed() ^ 0xE7A1L, c.steps() - 1L);
        double[] fin = task.evaluate(ex, fp32, true);
        String sample = task.sample(ex, fp32);
        Map<String, double[]> quant = new LinkedHashMap<>();
        for (var e : ex.quantizerParams().params().entrySet()) {
            quant.put(e.getKey().substring(QuantizerParams.PREFIX.length()),
                    new double[] {initial.getOrDefault(e.getKey(), Double.NaN), e.getValue().data[0]});
        }
        return new RunResult(c, model.parameterCount(), trainLoss.stream().mapToDouble(Double::doubleValue).toArray(), valLoss,
                fin[0], fin[1], items / Math.max(trainSeconds, 1e-9), trainSeconds, ex.stats(), sample, start,
                cpu ? cpuNanos / 1e9 : Double.NaN, quant);
    }

    /** Character-level GPT on the King James Bible. */
    static final class GptTask implements Task {
        final TrainConfig c;
        final CharCorpus corpus = CharCorpus.kjv();
        final Gpt model;

        GptTask(TrainConfig c) {
            this.c = c;
            model = new Gpt(new Gpt.Config(corpus.vocabSize(), c.context(), c.layers(), c.dim(), c.heads()), c.seed());
        }

        @Override
        public Model model() {
            return model;
        }

        @Override
        public Tensor loss(GemmExecutor ex, GemmExecutor fp32, long step) {
            CharCorpus.Batch b = corpus.batch(true, c.batch(), c.context(), c.seed(), step);
            return model.loss(ex, fp32, b.inputs(), b.targets(), c.batch(), c.context());
        }

        @Override
        public double[] evaluate(GemmExecutor ex, GemmExecutor fp32, boolean full) {
            int n = full ? 2 * c.evalBatches() : c.evalBatches();
            double sum = 0;
            for (int i = 0; i < n; i++) {
                CharCorpus.Batch b = corpus.batch(false, c.batch(), c.context(), c.seed(), i);
                sum += model.loss(ex, fp32, b.inputs(), b.targets(), c.batch(), c.context()).item();
            }
            return new double[] {sum / n, Double.NaN};
        }

        @Override
        public int itemsPerStep() {
            return c.batch() * c.context();
        }

        @Override
        public String sample(GemmExecutor ex, GemmExecutor fp32) {
            int t = c.context();
            List<Integer> toks = new ArrayList<>();
            for (int id : corpus.encode("And the LORD said unto ")) {
                toks.add(id);
            }
            int prompt = toks.size();
            for (int i = 0; i < 160; i++) {
                int[] window = new int[t];
                int from = Math.max(0, toks.size() - t);
                int len = toks.size() - from;
                for (int j = 0; j < len; j++) {
                    window[j] = toks.get(from + j);
                }
                float[] logits = model.logits(ex, fp32, window, 1, t).data;
                int v = corpus.vocabSize();
                int row = len - 1;
                // temperature 0.8 sampling, counter-based on (seed, position)
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, logits[row * v + j]);
                }
                double[] p = new double[v];
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    p[j] = Math.exp((logits[row * v + j] - max) / 0.8);
                    sum += p[j];
                }
                double u = Rng.uniform(c.seed() ^ 0xA5A5, i) * sum;
                int pick = v - 1;
                for (int j = 0; j < v; j++) {
                    u -= p[j];
                    if (u < 0) {
                        pick = j;
                        break;
                    }
                }
                toks.add(pick);
            }
            return corpus.decode(toks.stream().mapToInt(Integer::intValue).toArray()).substring(0, prompt + 160);
        }
    }

    /** ViT classifier on Fashion-MNIST. */
    static final class VitTask implements Task {
        final TrainConfig c;
        final FashionMnist train;
        final FashionMnist test;
        final Vit model;

        VitTask(TrainConfig c) {
            this.c = c;
            Path dir = c.dataDir() == null ? FashionMnist.DEBIAN_DIR : c.dataDir();
            train = FashionMnist.load(dir, true);
            test = FashionMnist.load(dir, false);
            model = new Vit(new Vit.Config(28, 4, 10, c.layers(), c.dim(), c.heads()), c.seed());
        }

        @Override
        public Model model() {
            return model;
        }

        @Override
        public Tensor loss(GemmExecutor ex, GemmExecutor fp32, long step) {
            FashionMnist.Batch b = train.batch(c.batch(), c.seed(), step);
            return Ops.crossEntropy(model.logits(ex, fp32, b.images(), b.size()), b.labels());
        }

        @Override
        public double[] evaluate(GemmExecutor ex, GemmExecutor fp32, boolean full) {
            int total = full ? test.count : Math.min(test.count, c.evalBatches() * c.batch());
            double loss = 0;
            int correct = 0;
            for (int from = 0; from < total; from += c.batch()) {
                FashionMnist.Batch b = test.slice(from, Math.min(c.batch(), total - from));
                Tensor logits = model.logits(ex, fp32, b.images(), b.size());
                loss += Ops.crossEntropy(logits, b.labels()).item() * b.size();
                for (int i = 0; i < b.size(); i++) {
                    int best = 0;
                    for (int j = 1; j < 10; j++) {
                        if (logits.data[i * 10 + j] > logits.data[i * 10 + best]) {
                            best = j;
                        }
                    }
                    correct += best == b.labels()[i] ? 1 : 0;
                }
            }
            return new double[] {loss / total, (double) correct / total};
        }

        @Override
        public int itemsPerStep() {
            return c.batch();
        }
    }
}
