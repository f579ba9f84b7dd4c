package dev.lowbit.cli;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of lowbit (docs/architecture.md), enforced: every main class of every module on this
 * module's classpath (all but the leaves lowbit-langchain4j, lowbit-spark and lowbit-bench, which nothing depends on, so
 * Maven's module graph already keeps them out of any cycle). A package may use only packages of a lower rank; a new
 * package must be given a rank here.
 */
class ArchitectureTest {

    /** Rank of each package (the part after {@code dev.lowbit.}; "" is the root package). Lower ranks are used by higher ones. */
    static final Map<String, Integer> RANK = Map.ofEntries(
            Map.entry("", -1), Map.entry("round", 0), Map.entry("tensor", 0), Map.entry("numeric", 0), Map.entry("text", 0),
            Map.entry("io", 1), Map.entry("unpack", 1), Map.entry("data", 1),
            Map.entry("format", 2),
            Map.entry("quant", 3),
            Map.entry("gemm", 4),
            Map.entry("policy", 5),
            Map.entry("simd", 6), Map.entry("autograd", 6),
            Map.entry("onednn", 7), Map.entry("cuda", 7), Map.entry("nn", 7),
            Map.entry("onnx", 8), Map.entry("train", 8),
            Map.entry("report", 9),
            Map.entry("cli", 10));

    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.lowbit");
    }

    @Test
    void importsEveryModuleOnTheClasspath() {
        TreeSet<String> packages = new TreeSet<>();
        for (JavaClass c : classes) {
            packages.add(area(c));
        }
        assertThat(packages).containsExactlyInAnyOrderElementsOf(new TreeSet<>(RANK.keySet()));
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.lowbit.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void everyDependencyGoesDownTheLayers() {
        List<String> violations = new ArrayList<>();
        for (JavaClass c : classes) {
            String from = area(c);
            Integer fromRank = RANK.get(from);
            if (fromRank == null) {
                violations.add(c.getName() + ": package dev.lowbit." + from + " has no rank in ArchitectureTest.RANK");
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass();
                if (!target.getPackageName().startsWith("dev.lowbit")) {
                    continue;
                }
                String to = area(target);
                Integer toRank = RANK.get(to);
                if (!from.equals(to) && (toRank == null || toRank >= fromRank)) {
                    violations.add(from + " (" + fromRank + ") -> " + to + " (" + toRank + "): " + d.getDescription());
                }
            }
        }
        assertThat(violations).as("dependencies that do not go down the layers").isEmpty();
    }

    /** The first package segment below dev.lowbit ("" for the root package). */
    static String area(JavaClass c) {
        String p = c.getPackageName();
        if (p.equals("dev.lowbit")) {
            return "";
        }
        String rest = p.substring("dev.lowbit.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
