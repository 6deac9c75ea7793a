/*
 * plan.h - the compact form in which Java hands a container (or an exec'd process) to berth-launch.
 * The authoritative description is docs/plan-format.md; the Java mirror is dev.berth.runtime.plan.PlanTag.
 * Keep the three in step: a tag number is never reused.
 */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC "BERTHPL1"

enum plan_tag {
  T_ACTION = 1,          /* [action]  action = create | run | exec                                   */
  T_ID = 2,              /* [id]                                                                      */
  T_STATE_DIR = 3,       /* [dir]     container state directory (already created by Java)             */
  T_BUNDLE = 4,          /* [dir]                                                                     */
  T_ROOTFS = 5,          /* [abs path, readonly 0|1, no_pivot 0|1, propagation MS_* flags decimal]    */
  T_PID_FILE = 7,        /* [path]    write the container (or exec'd) process's host pid here         */
  T_CONSOLE_SOCKET = 8,  /* [path]    send the pty master over this unix socket (SCM_RIGHTS)          */
  T_LOG = 9,             /* [path, format text|json]  where errors go besides stderr                  */
  T_NAMESPACE = 10,      /* [CLONE_NEW* flag decimal, path or ""]  "" = create new, else setns(path)  */
  T_UID_MAP = 11,        /* [container id, host id, size]                                             */
  T_GID_MAP = 12,        /* [container id, host id, size]                                             */
  T_HOSTNAME = 13,       /* [name]                                                                    */
  T_DOMAINNAME = 14,     /* [name]                                                                    */
  T_MOUNT = 15,          /* [source, dest, fstype, flags, data, propagation, kind]  see docs          */
  T_DEVICE = 16,         /* [path, type c|b|p|u, major, minor, mode, uid, gid, bind 0|1]              */
  T_MASKED = 17,         /* [path]                                                                    */
  T_READONLY_PATH = 18,  /* [path]                                                                    */
  T_SYSCTL = 19,         /* [key, value]   key in dotted form, e.g. net.ipv4.ip_forward               */
  T_CGROUP = 20,         /* [dir]     join: write the pid to <dir>/cgroup.procs (dir created by Java) */
  T_ARGS = 21,           /* [arg0, arg1, ...]                                                         */
  T_ENV = 22,            /* [K=V, ...]                                                                */
  T_CWD = 23,            /* [abs path inside the container]                                           */
  T_USER = 24,           /* [uid, gid, umask octal or "", additional gid, ...]                        */
  T_RLIMIT = 25,         /* [RLIMIT_* number, soft, hard]   (unsigned decimal; 18446744073709551615 = infinity) */
  T_CAPS = 26,           /* [bounding, effective, inheritable, permitted, ambient]  u64 masks decimal */
  T_NO_NEW_PRIVS = 27,   /* []                                                                        */
  T_OOM_SCORE_ADJ = 28,  /* [value]                                                                   */
  T_TERMINAL = 29,       /* [rows, cols]  allocate a pty for the process; "0","0" = leave size alone  */
  T_SECCOMP = 30,        /* [bpf (raw struct sock_filter[], binary), SECCOMP_FILTER_FLAG_* decimal]   */
  T_APPARMOR = 31,       /* [profile]                                                                 */
  T_SELINUX = 32,        /* [label]                                                                   */
  T_HOOK = 33,           /* [stage, timeout secs ("0" = none), path, argc, argv..., env...]           */
  T_HOOK_STATE = 34,     /* [before_status, between_status_and_pid, after_pid]                        */
  T_EXEC_FIFO = 35,      /* [path]    init opens it for writing and blocks there until `start`        */
  T_PRESERVE_FDS = 36,   /* [n]       fds 3..3+n-1 pass into the process (after the launcher's own)   */
  T_MONITOR = 38,        /* [exit status file]  stay resident as monitor/subreaper, detached          */
  T_PERSONALITY = 39,    /* [persona decimal]                                                         */
  T_TIME_OFFSET = 40,    /* [clock monotonic|boottime, secs, nanos]                                   */
  T_CLEANUP = 41,        /* [path]    on failure (and after `run` ends): unlink file / rmdir dir, in order */
  T_KILL_CGROUP = 42,    /* [dir]     after `run` ends or on failure: SIGKILL every pid in dir, then rmdir */
  T_EXEC_WAIT = 43,      /* []        exec: wait for the process even though T_PID_FILE is given (runc exec --pid-file without --detach) */
  T_SECCOMP_LISTENER = 44, /* [listenerPath, listenerMetadata]  send the notify fd of a NEW_LISTENER filter there */
  T_FAST_STATE_DIR = 45,   /* [dir]     warm path (fast.c): mkdir, exclusive (EEXIST = the id is taken)  */
  T_FAST_FILE = 46,        /* [path, content]  warm path: create exclusively and write             */
  T_FAST_CGROUP_DIR = 47,  /* [dir]     warm path: mkdir -p                                            */
  T_FAST_CGROUP_WRITE = 48, /* [file, value]  warm path: recorded control-file write, in order       */
  T_LOG_JSON = 49,         /* [path]    with T_MONITOR: stdout/stderr to the monitor, Docker json-file log */
  T_CONTROL_SOCKET = 50,   /* [path]    with T_MONITOR: unix socket for stdin data/close and resize frames */
  T_OPEN_STDIN = 51,       /* []        with T_LOG_JSON: stdin is a pipe (or the pty) fed from the control socket */
  /* Only in <state dir>/verbs, the record the launcher's verbs (verbs.c: state, kill, delete, ...) read: */
  T_VERBS_STATE = 52,      /* [ociVersion, id, bundle, rootfs, created, owner, monitored 0|1]        */
  T_VERBS_ANNOTATION = 53, /* [key, value]  in the config's order                                    */
  T_VERBS_CGROUP = 54,     /* [dir]     the container's cgroup directory in one hierarchy (absolute)  */
  T_VERBS_HOOKS = 55,      /* [poststart 0|1, poststop 0|1]  hooks the JVM runs for start / delete    */
  T_EXEC_PROCESS = 56,     /* [process.json bytes]  only in warm exec templates (verbs.c): compared, then ignored */
  T_LOG_ROTATE = 57,       /* [max size bytes, max files]  with T_LOG_JSON: json-file rotation (.1 .. .N-1) */
  T_VERBS_CONTROLLERS = 58, /* [controllers, dir]  verbs record: a hierarchy's v1 controllers ("cpu,cpuacct"; "" = cgroup2) and the container's dir there */
  /* exec only (berth debug): the process gets a mount namespace of its own whose root is a tools image */
  T_DEBUG_ROOT = 59,       /* [host path]  unshare(CLONE_NEWNS), bind it, T_DEBUG_MOUNTs, pivot_root into it */
  T_DEBUG_MOUNT = 60,      /* [source, dest, fstype, flags, data, propagation, kind]  as T_MOUNT, inside the debug root */
};

struct plan_field {
  const char *data; /* NUL-terminated (the NUL is not counted in len); may contain NULs if binary */
  uint32_t len;
};

struct plan_record {
  uint16_t tag;
  uint16_t nfields;
  struct plan_field *fields;
};

struct plan {
  char *buf;
  size_t buflen;
  struct plan_record *records;
  size_t nrecords;
};

#endif
