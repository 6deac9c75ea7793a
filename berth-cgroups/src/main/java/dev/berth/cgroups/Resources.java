package dev.berth.cgroups;

import java.util.List;
import java.util.Map;

/**
 * The OCI runtime-spec {@code linux.resources} object, field for field. A {@code null} (boxed) field
 * or list means "not set": the manager leaves that knob as it is. Numbers are as the spec has them
 * (memory {@code -1} = unlimited, {@code quota -1} = no quota).
 */
public record Resources(
        List<DeviceRule> devices,
        Memory memory,
        Cpu cpu,
        Pids pids,
        BlockIO blockIO,
        List<HugepageLimit> hugepageLimits,
        Network network,
        Map<String, Rdma> rdma,
        Map<String, String> unified) {

    public static final Resources EMPTY = new Resources(null, null, null, null, null, null, null, null, null);

    public Resources {
        devices = devices == null ? null : List.copyOf(devices);
        hugepageLimits = hugepageLimits == null ? null : List.copyOf(hugepageLimits);
        rdma = rdma == null ? null : Map.copyOf(rdma);
        unified = unified == null ? null : Map.copyOf(unified);
    }

    public static Resources empty() { return EMPTY; }

    public Resources withDevices(List<DeviceRule> v) { return new Resources(v, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified); }
    public Resources withMemory(Memory v) { return new Resources(devices, v, cpu, pids, blockIO, hugepageLimits, network, rdma, unified); }
    public Resources withCpu(Cpu v) { return new Resources(devices, memory, v, pids, blockIO, hugepageLimits, network, rdma, unified); }
    public Resources withPids(Pids v) { return new Resources(devices, memory, cpu, v, blockIO, hugepageLimits, network, rdma, unified); }
    public Resources withBlockIO(BlockIO v) { return new Resources(devices, memory, cpu, pids, v, hugepageLimits, network, rdma, unified); }
    public Resources withHugepageLimits(List<HugepageLimit> v) { return new Resources(devices, memory, cpu, pids, blockIO, v, network, rdma, unified); }
    public Resources withNetwork(Network v) { return new Resources(devices, memory, cpu, pids, blockIO, hugepageLimits, v, rdma, unified); }
    public Resources withRdma(Map<String, Rdma> v) { return new Resources(devices, memory, cpu, pids, blockIO, hugepageLimits, network, v, unified); }
    public Resources withUnified(Map<String, String> v) { return new Resources(devices, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, v); }

    /** {@code linux.resources.memory}. Bytes; -1 = unlimited. */
    public record Memory(Long limit, Long reservation, Long swap, Long kernel, Long kernelTCP,
                         Long swappiness, Boolean disableOOMKiller, Boolean useHierarchy,
                         Boolean checkBeforeUpdate) {
        public static Memory limit(long limit) { return new Memory(limit, null, null, null, null, null, null, null, null); }
        public Memory withSwap(Long v) { return new Memory(limit, reservation, v, kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy, checkBeforeUpdate); }
        public Memory withReservation(Long v) { return new Memory(limit, v, swap, kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy, checkBeforeUpdate); }
        public Memory withSwappiness(Long v) { return new Memory(limit, reservation, swap, kernel, kernelTCP, v, disableOOMKiller, useHierarchy, checkBeforeUpdate); }
        public Memory withDisableOOMKiller(Boolean v) { return new Memory(limit, reservation, swap, kernel, kernelTCP, swappiness, v, useHierarchy, checkBeforeUpdate); }
    }

    /** {@code linux.resources.cpu}. quota/period/burst in microseconds. */
    public record Cpu(Long shares, Long quota, Long burst, Long period, Long realtimeRuntime,
                      Long realtimePeriod, String cpus, String mems, Long idle) {
        public static Cpu of() { return new Cpu(null, null, null, null, null, null, null, null, null); }
        public Cpu withShares(Long v) { return new Cpu(v, quota, burst, period, realtimeRuntime, realtimePeriod, cpus, mems, idle); }
        public Cpu withQuota(Long q, Long p) { return new Cpu(shares, q, burst, p, realtimeRuntime, realtimePeriod, cpus, mems, idle); }
        public Cpu withBurst(Long v) { return new Cpu(shares, quota, v, period, realtimeRuntime, realtimePeriod, cpus, mems, idle); }
        public Cpu withCpus(String v) { return new Cpu(shares, quota, burst, period, realtimeRuntime, realtimePeriod, v, mems, idle); }
        public Cpu withMems(String v) { return new Cpu(shares, quota, burst, period, realtimeRuntime, realtimePeriod, cpus, v, idle); }
        public Cpu withIdle(Long v) { return new Cpu(shares, quota, burst, period, realtimeRuntime, realtimePeriod, cpus, mems, v); }
        public Cpu withRealtime(Long runtime, Long period) { return new Cpu(shares, quota, burst, this.period, runtime, period, cpus, mems, idle); }
    }

    /** {@code linux.resources.pids}; limit &lt;= 0 = unlimited (as runc). */
    public record Pids(Long limit) {
        public static Pids limit(long limit) { return new Pids(limit); }
    }

    /** {@code linux.resources.blockIO}. */
    public record BlockIO(Integer weight, Integer leafWeight, List<WeightDevice> weightDevice,
                          List<ThrottleDevice> throttleReadBpsDevice, List<ThrottleDevice> throttleWriteBpsDevice,
                          List<ThrottleDevice> throttleReadIOPSDevice, List<ThrottleDevice> throttleWriteIOPSDevice) {
        public static BlockIO weight(int w) { return new BlockIO(w, null, null, null, null, null, null); }
    }

    public record WeightDevice(long major, long minor, Integer weight, Integer leafWeight) {}

    public record ThrottleDevice(long major, long minor, long rate) {}

    /** {@code linux.resources.hugepageLimits[]}: pageSize like "2MB", limit in bytes. */
    public record HugepageLimit(String pageSize, long limit) {}

    /** {@code linux.resources.devices[]}: type a, b or c; null major/minor = any (*); access subset of "rwm". */
    public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {
        public static DeviceRule denyAll() { return new DeviceRule(false, "a", null, null, "rwm"); }
        public static DeviceRule allowChar(long major, long minor, String access) { return new DeviceRule(true, "c", major, minor, access); }
    }

    /** {@code linux.resources.network}. */
    public record Network(Integer classID, List<InterfacePriority> priorities) {}

    public record InterfacePriority(String name, int priority) {}

    /** {@code linux.resources.rdma[device]}. */
    public record Rdma(Integer hcaHandles, Integer hcaObjects) {}
}
