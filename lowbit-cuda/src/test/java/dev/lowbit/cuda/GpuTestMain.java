package dev.lowbit.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.TestExecutionResult;

/**
 * Runs lowbit-cuda's JUnit tests where there is no Maven (the GPU machine: a jlink'd JRE and thin jars, tools/gpu-run),
 * through the JUnit Platform launcher. Unlike CI, a missing GPU is a failure here: exit code 2 before any test runs.
 * Prints each test's outcome, skip reasons included; exit code 1 when any test failed.
 */
public final class GpuTestMain {
    private GpuTestMain() {}

    public static void main(String[] args) {
        System.out.println(CudaGemmBackend.describe());
        boolean allowSkip = Boolean.getBoolean("lowbit.gpu.allowSkip"); // to try the runner itself on a machine without a GPU
        if (!Cuda.available() && !allowSkip) {
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(CudaExactnessTest.class), selectClass(CudaBackendContractTest.class), selectClass(CudaFloatGemmTest.class), selectClass(CudaTrainTest.class))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener log = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    System.out.println(result.getStatus() + "  " + id.getUniqueId().replaceAll(".*class:dev.lowbit.\\w+.", "")
                            + result.getThrowable().map(t -> "  " + t).orElse(""));
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIPPED  " + id.getDisplayName() + ": " + reason);
            }
        };
        long t0 = System.nanoTime();
        launcher.execute(request, summary, log);
        TestExecutionSummary s = summary.getSummary();
        s.printTo(new PrintWriter(System.out, true));
        s.printFailuresTo(new PrintWriter(System.out, true), 20);
        System.out.printf("lowbit-cuda tests: %d found, %d succeeded, %d failed, %d aborted (skipped), %.1f s%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(), s.getTestsAbortedCount(),
                (System.nanoTime() - t0) / 1e9);
        System.exit(s.getTotalFailureCount() == 0 && (allowSkip || s.getTestsAbortedCount() == 0) ? 0 : 1);
    }
}
