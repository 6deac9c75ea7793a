package dev.berth.engine.spec;

import java.util.List;

/**
 * What Docker 28 gives every container that does not ask otherwise (moby {@code oci/defaults.go},
 * {@code oci/caps/defaults.go}): its 14 capabilities, the masked and read-only /proc and /sys paths,
 * and the devices cgroup rules.
 */
public final class DockerDefaults {
  private DockerDefaults() {}

  /** Docker's default capability set, in Docker's order. */
  public static final List<String> CAPABILITIES = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
      "CAP_AUDIT_WRITE");

  /** Paths hidden from the container (an empty file or directory mounted over them). */
  public static final List<String> MASKED_PATHS = List.of(
      "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
      "/sys/devices/virtual/powercap");

  /** Paths made read-only. */
  public static final List<String> READONLY_PATHS = List.of(
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** One devices cgroup rule: allow or deny; type a/c/b; null major/minor = any. */
  public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {}

  /**
   * The devices cgroup rules: deny everything, then allow the standard devices (zero, null,
   * urandom, random, tty, console) and refuse /dev/net/tun (10:229).
   */
  public static final List<DeviceRule> DEVICE_RULES = List.of(
      new DeviceRule(false, null, null, null, "rwm"),
      new DeviceRule(true, "c", 1L, 5L, "rwm"),
      new DeviceRule(true, "c", 1L, 3L, "rwm"),
      new DeviceRule(true, "c", 1L, 9L, "rwm"),
      new DeviceRule(true, "c", 1L, 8L, "rwm"),
      new DeviceRule(true, "c", 5L, 0L, "rwm"),
      new DeviceRule(true, "c", 5L, 1L, "rwm"),
      new DeviceRule(false, "c", 10L, 229L, "rwm"));

  /** Docker's CFS period for NanoCpus, in microseconds (100 ms). */
  public static final long CFS_PERIOD_US = 100_000;

  /** dockerd's smallest memory limit and reservation (6 MiB). */
  public static final long MIN_MEMORY = 6L * 1024 * 1024;
}
