package dev.berth.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The allowed dependencies between berth's modules (docs/architecture.md), checked on the compiled
 * classes of every module: a module may use only the modules its row names. The Maven reactor
 * already keeps a module from compiling against what its pom does not name, but not against what
 * arrives transitively (berth-api gets berth-runtime through berth-engine); this catches that. Also:
 * HTTP (Netty) only in berth-api, and the foreign-function API only in berth-sys.
 */
class ModuleRulesTest {
  /** module → its package root, in the order of the architecture page. */
  static final Map<String, String> PACKAGES = new LinkedHashMap<>();
  static {
    PACKAGES.put("spec", "dev.berth.spec");
    PACKAGES.put("sys", "dev.berth.sys");
    PACKAGES.put("cgroups", "dev.berth.cgroups");
    PACKAGES.put("runtime", "dev.berth.runtime");
    PACKAGES.put("image", "dev.berth.image");
    PACKAGES.put("network", "dev.berth.network");
    PACKAGES.put("engine", "dev.berth.engine");
    PACKAGES.put("api", "dev.berth.api");
    PACKAGES.put("cli", "dev.berth.cli");
  }

  /** The table of docs/architecture.md: who may use whom (besides itself). */
  static final Map<String, Set<String>> ALLOWED = Map.of(
      "spec", Set.of(),
      "sys", Set.of(),
      "cgroups", Set.of("sys"),
      "runtime", Set.of("spec", "sys", "cgroups"),
      "image", Set.of("sys"),
      "network", Set.of("sys"),
      "engine", Set.of("runtime", "image", "cgroups", "spec", "sys", "network"),
      "api", Set.of("engine", "image", "cgroups"),
      "cli", Set.of("runtime", "image", "engine", "spec", "sys", "cgroups", "network"));

  static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.berth");
  }

  @Test
  void everyModuleIsOnTheClasspath() {
    for (var e : PACKAGES.entrySet()) {
      if (e.getKey().equals("cli")) continue; // berth-cli is built before, not a dependency of this test's classpath
      assertThat(classes.stream().anyMatch(c -> c.getPackageName().startsWith(e.getValue())))
          .as("classes of berth-" + e.getKey() + " found (else the rules below check nothing)").isTrue();
    }
  }

  @Test
  void modulesUseOnlyWhatTheTableAllows() {
    for (var e : PACKAGES.entrySet()) {
      String module = e.getKey();
      List<String> forbidden = PACKAGES.entrySet().stream()
          .filter(o -> !o.getKey().equals(module) && !ALLOWED.get(module).contains(o.getKey()))
          .map(o -> o.getValue() + "..").toList();
      ArchRule rule = noClasses().that().resideInAPackage(e.getValue() + "..")
          .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(String[]::new))
          .allowEmptyShould(true)
          .because("berth-" + module + " may depend on " + ALLOWED.get(module) + " only (docs/architecture.md)");
      rule.check(classes);
    }
  }

  @Test
  void httpOnlyInTheApi() {
    noClasses().that().resideOutsideOfPackage("dev.berth.api..")
        .should().dependOnClassesThat().resideInAPackage("io.netty..")
        .because("the Docker Engine API is berth-api's alone").check(classes);
  }

  @Test
  void theForeignFunctionApiOnlyWhereTheKernelIsReached() {
    // berth-sys is the one FFM module: every other reaches the kernel through its Syscalls
    noClasses().that().resideOutsideOfPackages("dev.berth.sys..")
        .should().dependOnClassesThat().resideInAPackage("java.lang.foreign..")
        .because("the kernel is reached through berth-sys (Syscalls)").check(classes);
  }

  /**
   * berth-sys's own FFM bindings ({@code Linux}, {@code Pty}, {@code EventFd}, {@code FileCalls},
   * {@code Bpf}) are called only by berth-sys: every other module reaches them through
   * {@code Syscalls}, so that its logic runs against {@code RecordingSyscalls} too. Their constants
   * (MS_*, O_*, POLL*) are inlined at compile time and are not calls. {@link #KERNEL_CALL_DEBT} names
   * the classes still calling them directly (none left).
   */
  static final Set<String> KERNEL_CALL_DEBT = Set.of();

  @Test
  void kernelCallsGoThroughSyscalls() {
    Set<String> bindings = Set.of("dev.berth.sys.Linux", "dev.berth.sys.Pty", "dev.berth.sys.EventFd",
        "dev.berth.sys.FileCalls", "dev.berth.sys.Bpf");
    DescribedPredicate<JavaMethodCall> direct = DescribedPredicate.describe("a call of " + bindings,
        c -> bindings.contains(c.getTargetOwner().getName()));
    noClasses().that().resideOutsideOfPackage("dev.berth.sys..")
        .and(DescribedPredicate.describe("not in the debt list", (com.tngtech.archunit.core.domain.JavaClass c) ->
            !KERNEL_CALL_DEBT.contains(c.getName()) && !KERNEL_CALL_DEBT.contains(c.getName().replaceAll("\\$.*", ""))))
        .should().callMethodWhere(direct)
        .because("kernel calls go through berth-sys's Syscalls (RecordingSyscalls in tests)").check(classes);
    // the predicate sees real calls: berth-sys's own real Syscalls is made of them (else the rule above checks nothing)
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes().that().haveFullyQualifiedName("dev.berth.sys.LinuxSyscalls")
        .should().callMethodWhere(direct).check(classes);
  }
}
