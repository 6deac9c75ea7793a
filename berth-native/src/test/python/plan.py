"""A test-side encoder for the berth plan (docs/plan-format.md), mirroring plan.h."""
import os
import struct

T_ACTION, T_ID, T_STATE_DIR, T_BUNDLE, T_ROOTFS = 1, 2, 3, 4, 5
T_PID_FILE, T_CONSOLE_SOCKET, T_LOG, T_NAMESPACE = 7, 8, 9, 10
T_UID_MAP, T_GID_MAP, T_HOSTNAME, T_DOMAINNAME, T_MOUNT = 11, 12, 13, 14, 15
T_DEVICE, T_MASKED, T_READONLY_PATH, T_SYSCTL, T_CGROUP = 16, 17, 18, 19, 20
T_ARGS, T_ENV, T_CWD, T_USER, T_RLIMIT, T_CAPS = 21, 22, 23, 24, 25, 26
T_NO_NEW_PRIVS, T_OOM_SCORE_ADJ, T_TERMINAL, T_SECCOMP = 27, 28, 29, 30
T_APPARMOR, T_SELINUX, T_HOOK, T_HOOK_STATE, T_EXEC_FIFO = 31, 32, 33, 34, 35
T_PRESERVE_FDS, T_MONITOR, T_PERSONALITY, T_TIME_OFFSET = 36, 38, 39, 40
T_CLEANUP, T_KILL_CGROUP, T_EXEC_WAIT, T_SECCOMP_LISTENER = 41, 42, 43, 44

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC = 4096, 16384
MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 18, 1 << 19, 1 << 20

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
CLONE_NEWCGROUP, CLONE_NEWTIME = 0x02000000, 0x80

INFINITY = 2**64 - 1


class Plan:
    def __init__(self):
        self.records = []

    def add(self, tag, *fields):
        self.records.append((tag, [f if isinstance(f, bytes) else str(f).encode() for f in fields]))
        return self

    def remove(self, tag):
        self.records = [r for r in self.records if r[0] != tag]
        return self

    def has(self, tag):
        return any(r[0] == tag for r in self.records)

    def encode(self):
        out = [b"BERTHPL1", struct.pack("<I", len(self.records))]
        for tag, fields in self.records:
            out.append(struct.pack("<HH", tag, len(fields)))
            for f in fields:
                out.append(struct.pack("<I", len(f)) + f + b"\0")
        return b"".join(out)

    def memfd(self):
        """An fd holding the plan (not CLOEXEC), as Java passes it."""
        fd = os.memfd_create("berth-plan", 0)
        os.write(fd, self.encode())
        return fd

T_LOG_JSON, T_CONTROL_SOCKET, T_OPEN_STDIN, T_LOG_ROTATE = 49, 50, 51, 57
T_VERBS_STATE, T_VERBS_ANNOTATION, T_VERBS_CGROUP, T_VERBS_HOOKS, T_EXEC_PROCESS = 52, 53, 54, 55, 56
T_VERBS_CONTROLLERS = 58
T_DEBUG_ROOT, T_DEBUG_MOUNT = 59, 60
