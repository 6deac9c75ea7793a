package dev.berth.runtime.plan;

/** Record tags of the plan; mirror of berth-native/src/main/c/plan.h (see docs/plan-format.md). */
public enum PlanTag {
  ACTION(1), ID(2), STATE_DIR(3), BUNDLE(4), ROOTFS(5), PID_FILE(7), CONSOLE_SOCKET(8), LOG(9),
  NAMESPACE(10), UID_MAP(11), GID_MAP(12), HOSTNAME(13), DOMAINNAME(14), MOUNT(15), DEVICE(16),
  MASKED(17), READONLY_PATH(18), SYSCTL(19), CGROUP(20), ARGS(21), ENV(22), CWD(23), USER(24),
  RLIMIT(25), CAPS(26), NO_NEW_PRIVS(27), OOM_SCORE_ADJ(28), TERMINAL(29), SECCOMP(30),
  APPARMOR(31), SELINUX(32), HOOK(33), HOOK_STATE(34), EXEC_FIFO(35), PRESERVE_FDS(36),
  MONITOR(38), PERSONALITY(39), TIME_OFFSET(40), CLEANUP(41), KILL_CGROUP(42), EXEC_WAIT(43),
  SECCOMP_LISTENER(44), FAST_STATE_DIR(45), FAST_FILE(46), FAST_CGROUP_DIR(47), FAST_CGROUP_WRITE(48);

  public final int number;

  PlanTag(int number) {
    this.number = number;
  }
}
