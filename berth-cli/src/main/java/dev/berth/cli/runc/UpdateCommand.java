package dev.berth.cli.runc;

import dev.berth.cgroups.Resources;
import dev.berth.runtime.convert.ResourcesConverter;
import dev.berth.runtime.ops.Update;
import dev.berth.spec.Node;
import dev.berth.spec.Spec;
import dev.berth.spec.SpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "update", description = "Change the resource limits of a running container.")
public class UpdateCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--resources", "-r"}, description = "linux.resources JSON file, - for stdin") String resources;
  @Option(names = {"--memory", "-m"}) String memory;
  @Option(names = "--memory-swap") String memorySwap;
  @Option(names = "--memory-reservation") String memoryReservation;
  @Option(names = "--kernel-memory") String kernelMemory;
  @Option(names = "--kernel-memory-tcp") String kernelMemoryTcp;
  @Option(names = "--cpu-shares") Long cpuShares;
  @Option(names = "--cpu-quota") Long cpuQuota;
  @Option(names = "--cpu-period") Long cpuPeriod;
  @Option(names = "--cpu-burst") Long cpuBurst;
  @Option(names = "--cpu-rt-period") Long rtPeriod;
  @Option(names = "--cpu-rt-runtime") Long rtRuntime;
  @Option(names = "--cpuset-cpus") String cpusetCpus;
  @Option(names = "--cpuset-mems") String cpusetMems;
  @Option(names = "--cpu-idle") Long cpuIdle;
  @Option(names = "--pids-limit") Long pidsLimit;
  @Option(names = "--blkio-weight") Integer blkioWeight;
  @Option(names = "--l3-cache-schema", description = "accepted") String l3;
  @Option(names = "--mem-bw-schema", description = "accepted") String membw;

  @Parameters(index = "0", paramLabel = "<container-id>")
  String id;

  @Override
  public Integer call() throws Exception {
    Resources r;
    if (resources != null) {
      byte[] json = resources.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(resources));
      r = ResourcesConverter.of(new Node(Spec.readTree(json), "resources"));
    } else {
      r = Resources.EMPTY;
      if (memory != null || memorySwap != null || memoryReservation != null || kernelMemory != null || kernelMemoryTcp != null) {
        r = r.withMemory(new Resources.Memory(bytes(memory, "--memory"), bytes(memoryReservation, "--memory-reservation"),
            bytes(memorySwap, "--memory-swap"), bytes(kernelMemory, "--kernel-memory"),
            bytes(kernelMemoryTcp, "--kernel-memory-tcp"), null, null, null, null));
      }
      if (cpuShares != null || cpuQuota != null || cpuPeriod != null || cpuBurst != null || rtPeriod != null
          || rtRuntime != null || cpusetCpus != null || cpusetMems != null || cpuIdle != null) {
        r = r.withCpu(new Resources.Cpu(cpuShares, cpuQuota, cpuBurst, cpuPeriod, rtRuntime, rtPeriod, cpusetCpus,
            cpusetMems, cpuIdle));
      }
      if (pidsLimit != null) r = r.withPids(new Resources.Pids(pidsLimit));
      if (blkioWeight != null) r = r.withBlockIO(Resources.BlockIO.weight(blkioWeight));
    }
    Update.update(global.context(), id, r);
    return 0;
  }

  /** "512m", "1g", "-1", "1048576" → bytes (null stays null). */
  static Long bytes(String v, String flag) {
    if (v == null) return null;
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.equals("-1")) return -1L;
    long mult = 1;
    if (s.endsWith("b")) s = s.substring(0, s.length() - 1);
    char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
    switch (last) {
      case 'k' -> mult = 1L << 10;
      case 'm' -> mult = 1L << 20;
      case 'g' -> mult = 1L << 30;
      case 't' -> mult = 1L << 40;
      default -> mult = 1;
    }
    if (mult != 1) s = s.substring(0, s.length() - 1);
    try {
      long n = Long.parseLong(s);
      if (n < 0) throw new NumberFormatException();
      return Math.multiplyExact(n, mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new SpecException(flag, "expected a size like 512m or 1g, got \"" + v + "\"");
    }
  }
}
