package dev.berth.cgroups;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accounting, in the shape of runc's {@code events --stats} "data" object: component names are the
 * JSON keys runc prints ({@code cpu.usage.percpu}, {@code memory.kernelTCP},
 * {@code blkio.ioServiceBytesRecursive}, {@code hugetlb["2MB"]}, ...). Fields berth adds beyond runc
 * ({@code memory.workingSet}, {@code memory.oom}) come last. Unlimited limits read as
 * {@link Long#MAX_VALUE}.
 */
public record Stats(Cpu cpu, CpuSet cpuset, Memory memory, Pids pids, Blkio blkio, Map<String, Hugetlb> hugetlb) {

    public record Cpu(CpuUsage usage, Throttling throttling) {}

    /** Nanoseconds. {@code percpu_kernel}/{@code percpu_user} are spelled as runc's JSON keys (v1 only). */
    public record CpuUsage(long total, List<Long> percpu, List<Long> percpu_kernel, List<Long> percpu_user, long kernel, long user) {}

    public record Throttling(long periods, long throttledPeriods, long throttledTime) {}

    public record CpuSet(List<Integer> cpus, List<Integer> mems) {}

    public record MemoryEntry(long limit, long usage, long max, long failcnt) {}

    public record Memory(long cache, MemoryEntry usage, MemoryEntry swap, MemoryEntry kernel, MemoryEntry kernelTCP,
                         Map<String, Long> raw, long workingSet, Oom oom) {}

    /** OOM events of this cgroup: times the limit was hit (v1 under_oom transitions are not counted: v1 gives oom_kill only). */
    public record Oom(long oom, long oomKill, boolean underOom) {}

    public record Pids(long current, long limit) {}

    public record BlkioEntry(long major, long minor, String op, long value) {}

    public record Blkio(List<BlkioEntry> ioServiceBytesRecursive, List<BlkioEntry> ioServicedRecursive) {}

    public record Hugetlb(long usage, long max, long failcnt) {}

    /** Mutable accumulator the controllers fill in; one per {@link CgroupManager#stats()} call. */
    public static final class Builder {
        public long cpuTotal, cpuKernel, cpuUser, periods, throttledPeriods, throttledTime;
        public List<Long> percpu = List.of(), percpuKernel = List.of(), percpuUser = List.of();
        public List<Integer> cpus = List.of(), mems = List.of();
        public long cache, workingSet, oom, oomKill;
        public boolean underOom;
        public MemoryEntry usage = new MemoryEntry(0, 0, 0, 0), swap = usage, kernel = usage, kernelTCP = usage;
        public Map<String, Long> raw = new LinkedHashMap<>();
        public long pidsCurrent, pidsLimit;
        public List<BlkioEntry> serviceBytes = new ArrayList<>(), serviced = new ArrayList<>();
        public Map<String, Hugetlb> hugetlb = new LinkedHashMap<>();

        public Stats build() {
            return new Stats(
                    new Cpu(new CpuUsage(cpuTotal, List.copyOf(percpu), List.copyOf(percpuKernel), List.copyOf(percpuUser), cpuKernel, cpuUser),
                            new Throttling(periods, throttledPeriods, throttledTime)),
                    new CpuSet(List.copyOf(cpus), List.copyOf(mems)),
                    new Memory(cache, usage, swap, kernel, kernelTCP, Map.copyOf(raw), workingSet,
                            new Oom(oom, oomKill, underOom)),
                    new Pids(pidsCurrent, pidsLimit),
                    new Blkio(List.copyOf(serviceBytes), List.copyOf(serviced)),
                    Map.copyOf(hugetlb));
        }
    }
}
