package dev.berth.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * HostConfig's resource fields (Memory, NanoCpus, CpuShares, PidsLimit, ...) → OCI
 * {@code linux.resources}, validated as dockerd validates them (moby
 * {@code verifyPlatformContainerResources}, messages word for word), for create and for
 * {@code docker update}.
 */
public final class ResourceOptions {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private ResourceOptions() {}

  /**
   * What the host offers: CPUs, the cpuset CPUs and memory nodes, whether the memory controller
   * limits swap and takes a swappiness (cgroup v1 only).
   */
  public record Host(int cpus, String cpusetCpus, String cpusetMems, boolean swapLimit, boolean swappiness) {
    public static Host current() {
      boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
      String cpus = v2 ? read("/sys/fs/cgroup/cpuset.cpus.effective") : read("/sys/fs/cgroup/cpuset/cpuset.cpus");
      String mems = v2 ? read("/sys/fs/cgroup/cpuset.mems.effective") : read("/sys/fs/cgroup/cpuset/cpuset.mems");
      if (cpus.isEmpty()) cpus = read("/sys/devices/system/cpu/online");
      if (mems.isEmpty()) mems = read("/sys/devices/system/node/online");
      if (mems.isEmpty()) mems = "0";
      boolean swap = v2 ? read("/sys/fs/cgroup/cgroup.controllers").contains("memory")
          : Files.exists(Path.of("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"));
      boolean swappiness = !v2 && Files.exists(Path.of("/sys/fs/cgroup/memory/memory.swappiness"));
      return new Host(Runtime.getRuntime().availableProcessors(), cpus, mems, swap, swappiness);
    }

    private static String read(String p) {
      // not Files.readString: procfs and cgroupfs files report a size that is not their content's
      try (var in = Files.newInputStream(Path.of(p))) {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
      } catch (IOException e) {
        return "";
      }
    }
  }

  /**
   * Validates {@code r} (a HostConfig, whose resource fields are at its top level, or a
   * {@code docker update} body) as dockerd does; fields the host cannot apply are dropped with a
   * warning, as dockerd drops them. Returns the warnings.
   *
   * @throws IllegalArgumentException with dockerd's message
   */
  public static List<String> validate(ObjectNode r, Host host, boolean update) {
    List<String> w = new ArrayList<>();
    if (Fields.present(r, "MemorySwappiness") && Fields.num(r, "MemorySwappiness") == -1) r.remove("MemorySwappiness");
    long memory = Fields.num(r, "Memory");
    long swap = Fields.num(r, "MemorySwap");
    if (memory != 0 && memory < DockerDefaults.MIN_MEMORY) throw iae("Minimum memory limit allowed is 6MB");
    if (memory > 0 && swap != -1 && !host.swapLimit()) {
      w.add("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.");
      r.put("MemorySwap", -1);
      swap = -1;
    }
    if (memory > 0 && swap > 0 && swap < memory) {
      throw iae("Minimum memoryswap limit should be larger than memory limit, see usage");
    }
    if (memory == 0 && swap > 0 && !update) {
      throw iae("You should always set the Memory limit when using Memoryswap limit, see usage");
    }
    if (Fields.present(r, "MemorySwappiness") && !host.swappiness()) {
      w.add("Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.");
      r.remove("MemorySwappiness");
    }
    if (Fields.present(r, "MemorySwappiness")) {
      long s = Fields.num(r, "MemorySwappiness");
      if (s < 0 || s > 100) throw iae("Invalid value: " + s + ", valid memory swappiness range is 0-100");
    }
    long reservation = Fields.num(r, "MemoryReservation");
    if (reservation > 0 && reservation < DockerDefaults.MIN_MEMORY) throw iae("Minimum memory reservation allowed is 6MB");
    if (memory > 0 && reservation > 0 && memory < reservation) {
      throw iae("Minimum memory limit can not be less than memory reservation limit, see usage");
    }
    if (Fields.num(r, "KernelMemory") > 0) {
      w.add("Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.");
      r.remove("KernelMemory");
    }
    if (Fields.bool(r, "OomKillDisable") && memory == 0) {
      w.add("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.");
    }
    long nano = Fields.num(r, "NanoCpus");
    long period = Fields.num(r, "CpuPeriod");
    long quota = Fields.num(r, "CpuQuota");
    if (nano > 0 && period > 0) throw iae("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (nano > 0 && quota > 0) throw iae("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    if (nano < 0 || nano > host.cpus() * 1_000_000_000L) {
      throw iae("Range of CPUs is from 0.01 to " + host.cpus() + ".00, as there are only " + host.cpus() + " CPUs available");
    }
    if (Fields.num(r, "CpuShares") < 0) throw iae("shares: invalid argument");
    if (period != 0 && (period < 1000 || period > 1_000_000)) {
      throw iae("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    }
    if (quota > 0 && quota < 1000) throw iae("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (Fields.num(r, "CpuPercent") > 0) {
      w.add("linux does not support CPU percent. Percent discarded.");
      r.remove("CpuPercent");
    }
    String cpus = Fields.str(r, "CpusetCpus");
    if (!cpus.isEmpty()) {
      TreeSet<Integer> want = list(cpus, "Invalid value " + cpus + " for cpuset cpus");
      if (!list(host.cpusetCpus(), "host cpuset").containsAll(want)) {
        throw iae("Requested CPUs are not available - requested " + cpus + ", available: " + host.cpusetCpus());
      }
    }
    String mems = Fields.str(r, "CpusetMems");
    if (!mems.isEmpty()) {
      TreeSet<Integer> want = list(mems, "Invalid value " + mems + " for cpuset mems");
      if (!list(host.cpusetMems(), "host cpuset").containsAll(want)) {
        throw iae("Requested memory nodes are not available - requested " + mems + ", available: " + host.cpusetMems());
      }
    }
    long weight = Fields.num(r, "BlkioWeight");
    if (weight > 0 && (weight < 10 || weight > 1000)) throw iae("Range of blkio weight is from 10 to 1000");
    if (Fields.num(r, "IOMaximumBandwidth") != 0 || Fields.num(r, "IOMaximumIOps") != 0) {
      throw iae("Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps");
    }
    if (!update && Fields.present(r, "OomScoreAdj")) {
      long adj = Fields.num(r, "OomScoreAdj");
      if (adj < -1000 || adj > 1000) throw iae("Invalid value " + adj + ", range for oom score adj is [-1000, 1000]");
    }
    return w;
  }

  /**
   * The OCI {@code linux.resources} (memory, cpu, pids, blockIO) for a validated HostConfig at
   * create, with dockerd's defaults: MemorySwap twice Memory when unset, NanoCpus as quota over a
   * 100 ms period, PidsLimit ≤ 0 = unlimited (-1).
   */
  public static ObjectNode toOci(JsonNode r) {
    ObjectNode out = F.objectNode();
    long memory = Fields.num(r, "Memory");
    long swap = Fields.num(r, "MemorySwap");
    if (memory > 0 && swap == 0) swap = memory * 2;
    ObjectNode mem = F.objectNode();
    if (memory > 0) mem.put("limit", memory);
    if (Fields.num(r, "MemoryReservation") > 0) mem.put("reservation", Fields.num(r, "MemoryReservation"));
    if (swap != 0) mem.put("swap", swap);
    if (Fields.present(r, "MemorySwappiness")) mem.put("swappiness", Fields.num(r, "MemorySwappiness"));
    if (Fields.present(r, "OomKillDisable")) mem.put("disableOOMKiller", Fields.bool(r, "OomKillDisable"));
    if (!mem.isEmpty()) out.set("memory", mem);
    ObjectNode cpu = cpu(r);
    if (!cpu.isEmpty()) out.set("cpu", cpu);
    ObjectNode pids = pids(r);
    if (pids != null) out.set("pids", pids);
    ObjectNode blkio = blkio(r);
    if (!blkio.isEmpty()) out.set("blockIO", blkio);
    return out;
  }

  private static ObjectNode cpu(JsonNode r) {
    ObjectNode cpu = F.objectNode();
    if (Fields.num(r, "CpuShares") > 0) cpu.put("shares", Fields.num(r, "CpuShares"));
    long nano = Fields.num(r, "NanoCpus");
    if (nano > 0) {
      cpu.put("quota", nano * DockerDefaults.CFS_PERIOD_US / 1_000_000_000L);
      cpu.put("period", DockerDefaults.CFS_PERIOD_US);
    }
    if (Fields.num(r, "CpuPeriod") != 0) cpu.put("period", Fields.num(r, "CpuPeriod"));
    if (Fields.num(r, "CpuQuota") != 0) cpu.put("quota", Fields.num(r, "CpuQuota"));
    if (Fields.num(r, "CpuRealtimePeriod") != 0) cpu.put("realtimePeriod", Fields.num(r, "CpuRealtimePeriod"));
    if (Fields.num(r, "CpuRealtimeRuntime") != 0) cpu.put("realtimeRuntime", Fields.num(r, "CpuRealtimeRuntime"));
    if (!Fields.str(r, "CpusetCpus").isEmpty()) cpu.put("cpus", Fields.str(r, "CpusetCpus"));
    if (!Fields.str(r, "CpusetMems").isEmpty()) cpu.put("mems", Fields.str(r, "CpusetMems"));
    return cpu;
  }

  private static ObjectNode pids(JsonNode r) {
    Long limit = Fields.optNum(r, "PidsLimit");
    if (limit == null) return null;
    return F.objectNode().put("limit", limit <= 0 ? -1 : limit);
  }

  private static ObjectNode blkio(JsonNode r) {
    ObjectNode b = F.objectNode();
    if (Fields.num(r, "BlkioWeight") > 0) b.put("weight", Fields.num(r, "BlkioWeight"));
    List<JsonNode> wd = Fields.objects(r, "BlkioWeightDevice");
    if (!wd.isEmpty()) {
      ArrayNode a = b.putArray("weightDevice");
      for (JsonNode d : wd) {
        long[] mm = majorMinor(Fields.str(d, "Path"), "BlkioWeightDevice");
        a.addObject().put("major", mm[0]).put("minor", mm[1]).put("weight", Fields.num(d, "Weight"));
      }
    }
    throttle(r, b, "BlkioDeviceReadBps", "throttleReadBpsDevice");
    throttle(r, b, "BlkioDeviceWriteBps", "throttleWriteBpsDevice");
    throttle(r, b, "BlkioDeviceReadIOps", "throttleReadIOPSDevice");
    throttle(r, b, "BlkioDeviceWriteIOps", "throttleWriteIOPSDevice");
    return b;
  }

  private static void throttle(JsonNode r, ObjectNode b, String field, String oci) {
    List<JsonNode> list = Fields.objects(r, field);
    if (list.isEmpty()) return;
    ArrayNode a = b.putArray(oci);
    for (JsonNode d : list) {
      long[] mm = majorMinor(Fields.str(d, "Path"), field);
      a.addObject().put("major", mm[0]).put("minor", mm[1]).put("rate", Fields.num(d, "Rate"));
    }
  }

  private static long[] majorMinor(String path, String field) {
    try {
      DeviceOptions.Device d = DeviceOptions.node(Path.of(path).toRealPath());
      if (d == null || !d.type().equals("b")) throw iae(field + ": " + path + " is not a block device");
      return new long[] {d.major(), d.minor()};
    } catch (IOException e) {
      throw iae(field + ": stat " + path + ": no such file or directory");
    }
  }

  /** The result of {@link #update}: the container's new resource fields and the OCI update. */
  public record Update(ObjectNode merged, ObjectNode linuxResources, List<String> warnings) {}

  /**
   * {@code docker update} (POST /containers/{id}/update): validates {@code body} against the
   * container's current HostConfig {@code current} as dockerd does, merges the non-zero fields into
   * a copy of {@code current} ({@link Update#merged}: store it as the container's HostConfig) and
   * returns the OCI {@code linux.resources} that applies them to the live cgroup
   * ({@link Update#linuxResources}: to {@code dev.berth.runtime.convert.ResourcesConverter.of} and
   * {@code Update.update}; see {@link #toCgroups}).
   *
   * @throws IllegalArgumentException with dockerd's message
   */
  public static Update update(JsonNode current, JsonNode body, Host host) {
    if (body != null && !body.isNull() && !body.isObject()) throw iae("the update must be a JSON object of resources");
    ObjectNode r = body == null || body.isNull() ? F.objectNode() : ((ObjectNode) body).deepCopy();
    List<String> w = validate(r, host, true);
    ObjectNode c = current instanceof ObjectNode o ? o.deepCopy() : F.objectNode();
    long nano = Fields.num(r, "NanoCpus");
    if (nano > 0 && Fields.num(c, "CpuPeriod") > 0) {
      throw iae("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
    }
    if (nano > 0 && Fields.num(c, "CpuQuota") > 0) {
      throw iae("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
    }
    if (Fields.num(r, "CpuPeriod") > 0 && Fields.num(c, "NanoCpus") > 0) {
      throw iae("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
    }
    if (Fields.num(r, "CpuQuota") > 0 && Fields.num(c, "NanoCpus") > 0) {
      throw iae("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
    }
    long memory = Fields.num(r, "Memory");
    long curSwap = Fields.num(c, "MemorySwap");
    if (memory != 0 && curSwap > 0 && memory > curSwap && Fields.num(r, "MemorySwap") == 0) {
      throw iae("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    }
    for (String f : List.of("BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota", "Memory", "MemorySwap",
        "MemoryReservation", "CpuRealtimePeriod", "CpuRealtimeRuntime")) {
      if (Fields.num(r, f) != 0) c.put(f, Fields.num(r, f));
    }
    for (String f : List.of("CpusetCpus", "CpusetMems")) {
      if (!Fields.str(r, f).isEmpty()) c.put(f, Fields.str(r, f));
    }
    if (Fields.present(r, "PidsLimit")) c.put("PidsLimit", Fields.num(r, "PidsLimit"));

    ObjectNode out = F.objectNode();
    ObjectNode mem = F.objectNode();
    if (memory != 0) mem.put("limit", memory);
    if (Fields.num(r, "MemoryReservation") != 0) mem.put("reservation", Fields.num(r, "MemoryReservation"));
    if (Fields.num(r, "MemorySwap") != 0) mem.put("swap", Fields.num(r, "MemorySwap"));
    if (!mem.isEmpty()) out.set("memory", mem);
    ObjectNode cpu = cpu(r);
    if (!cpu.isEmpty()) out.set("cpu", cpu);
    ObjectNode pids = pids(r);
    if (pids != null) out.set("pids", pids);
    if (Fields.num(r, "BlkioWeight") > 0) out.putObject("blockIO").put("weight", Fields.num(r, "BlkioWeight"));
    return new Update(c, out, w);
  }

  /** OCI {@code linux.resources} JSON → berth-cgroups' model, through the runtime's one converter. */
  public static dev.berth.cgroups.Resources toCgroups(ObjectNode linuxResources) {
    Object json = dev.berth.spec.Json.parse(linuxResources.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return dev.berth.runtime.convert.ResourcesConverter.of(dev.berth.spec.Node.root(json));
  }

  /** A list such as "0-3,5" (Go's parsers.ParseUintList). */
  static TreeSet<Integer> list(String s, String context) {
    TreeSet<Integer> out = new TreeSet<>();
    if (s.isEmpty()) return out;
    for (String part : s.split(",", -1)) {
      try {
        int dash = part.indexOf('-');
        if (dash < 0) {
          out.add(Integer.parseUnsignedInt(part));
        } else {
          int lo = Integer.parseUnsignedInt(part.substring(0, dash));
          int hi = Integer.parseUnsignedInt(part.substring(dash + 1));
          if (hi < lo || hi - lo > 65536) throw new NumberFormatException();
          for (int i = lo; i <= hi; i++) out.add(i);
        }
      } catch (NumberFormatException e) {
        throw iae(context + ": invalid format: " + s);
      }
    }
    return out;
  }

  private static IllegalArgumentException iae(String m) {
    return new IllegalArgumentException(m);
  }
}
