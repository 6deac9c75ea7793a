/*
 * berth.h - shared declarations of berth-launch.
 *
 * Error convention (crun's): every fallible function takes `struct berr *err` as its last
 * argument and returns a negative value on failure, having filled err with the errno and a
 * "<what>: <path or value>" message; callers add context with berr_wrap on the way up.
 */
#ifndef BERTH_H
#define BERTH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include "plan.h"

struct berr {
  int errnum;     /* errno, 0 when the message says it all */
  char msg[1024]; /* "<what>: <path or value>" */
};

/* error.c */
int berr_set(struct berr *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int berr_sys(struct berr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* errno */
int berr_wrap(struct berr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berr_format(const struct berr *err, char *buf, size_t len);
void log_init(const struct plan *plan);
void log_open(const char *path, bool json); /* --log of the launcher's verbs */
void log_error(const struct berr *err);
void log_error_text(const char *text);
void log_warning(const struct berr *err);

/* plan.c */
int plan_read(int fd, struct plan *plan, struct berr *err);
void plan_free(struct plan *plan);
const struct plan_record *plan_next(const struct plan *plan, uint16_t tag, const struct plan_record *prev);
const struct plan_record *plan_find(const struct plan *plan, uint16_t tag);
const char *plan_str(const struct plan_record *rec, unsigned idx); /* "" when missing */
const char *plan_get(const struct plan *plan, uint16_t tag); /* first field of the first record or NULL */
int parse_u64(const char *s, uint64_t *out, struct berr *err);
int parse_i64(const char *s, int64_t *out, struct berr *err);
char **plan_strv(const struct plan_record *rec, unsigned from, unsigned count); /* NULL-terminated, malloc'd */

/* util.c */
int write_all(int fd, const void *buf, size_t len);
int write_file_at(int dirfd, const char *path, const char *data, struct berr *err);
int write_file_atomic(const char *path, const char *data, struct berr *err);
int write_file_atomic_at(int dirfd, const char *name, const char *data, struct berr *err);
int write_proc_record(const char *dir, const char *name, struct berr *err); /* "pid starttime" */
int check_procfs(int fd, const char *what, struct berr *err);
int write_proc_file(const char *path, const char *data, struct berr *err);
int dirfd_and_base(const char *path, int *dirfd, const char **base, struct berr *err);

/* clone_binary.c */
int ensure_cloned_binary(char **argv, struct berr *err);

/* sync.c: messages between launcher, monitor and container init over a SOCK_SEQPACKET pair */
enum sync_type { SYNC_GO = 1, SYNC_READY, SYNC_ERROR, SYNC_PTY, SYNC_PID, SYNC_TIMENS };
struct sync_msg {
  int32_t type;
  int32_t errnum;
  int64_t value;
  char text[1024];
};
int sync_send(int fd, int type, int64_t value, int passfd, struct berr *err);
int sync_send_error(int fd, const struct berr *e);
/* returns 0 on message, 1 on EOF; *passfd receives an SCM_RIGHTS fd if any (else -1) */
int sync_recv(int fd, struct sync_msg *msg, int *passfd, struct berr *err);

/* namespaces.c */
struct nsplan {
  int newflags;      /* CLONE_NEW* to create in the clone */
  int join_flags;    /* CLONE_NEW* joined by path */
  int nsfd[16];      /* joined namespaces: open fds, user first */
  int nsflag[16];
  int nns;
};
int ns_prepare(const struct plan *plan, struct nsplan *ns, struct berr *err);
int ns_join(struct nsplan *ns, int mask, struct berr *err); /* setns every joined one in mask, user first */
pid_t ns_clone(int flags, struct berr *err);
int ns_write_id_maps(const struct plan *plan, pid_t pid, struct berr *err);

/* rootfs.c */
struct launch;
int rootfs_enter(struct launch *l, struct berr *err);  /* bind + open the rootfs, before becoming userns root */
int rootfs_setup(struct launch *l, struct berr *err);
int rootfs_finish(struct launch *l, struct berr *err); /* after pivot: masked, readonly, sysctl, ro root */
int set_hostname(const struct plan *plan, struct berr *err);
int debug_root_setup(struct launch *l, struct berr *err); /* exec with T_DEBUG_ROOT: own mount ns, tools root */

/* process.c */
int process_prepare(struct launch *l, struct berr *err);  /* up to, not including, the exec fifo */
int process_exec(struct launch *l, struct berr *err);     /* close fds, seccomp (last), execve */
int set_oom_score_adj(const struct plan *plan, pid_t pid, struct berr *err);
int join_cgroups(const struct plan *plan, pid_t pid, struct berr *err);

/* terminal.c */
int terminal_connect_console(const struct plan *plan, int *fd, struct berr *err); /* *fd = -1 when none */
int terminal_setup(struct launch *l, struct berr *err); /* in the process: pty, ctty, send master */
int terminal_relay_prepare(int master, struct berr *err);
void terminal_resize_from(int from, int master);
void terminal_restore(void);

/* hooks.c */
int hooks_run(const struct plan *plan, const char *stage, const char *status, pid_t pid, struct berr *err);
char *state_json(const struct plan *plan, const char *status, pid_t pid); /* malloc'd */

/* seccomp.c */
int seccomp_connect_listener(const struct plan *plan, int *fd, struct berr *err); /* *fd = -1 when none */
int seccomp_prepare(struct launch *l, struct berr *err); /* copy the program (may allocate) */
int seccomp_load(struct launch *l, struct berr *err);    /* install it: the last call before execve */

/* monitor.c */
int monitor_wait(struct launch *l, int *status_out, struct berr *err);
int monitor_signals(struct launch *l, int sfd, int *status, struct berr *err); /* 1 = l->child reaped */

/* io.c: monitor-kept stdio (T_LOG_JSON, T_CONTROL_SOCKET, T_OPEN_STDIN) */
bool io_requested(const struct plan *plan);
int io_prepare(struct launch *l, struct berr *err);    /* monitor, before the clone */
int io_child(struct launch *l, struct berr *err);      /* init: stdio onto 0..2 */
void io_after_clone(struct launch *l);                  /* monitor: drop the init's ends */
int io_wait(struct launch *l, int *status_out, struct berr *err); /* log, control socket, wait */
bool io_active(void);
void io_cleanup(void);                                  /* unlink the control socket */
void io_cleanup_plan(const struct plan *plan);          /* the keeper's: same, from the plan */

/* logfile.c: the json-file log and its rotation (T_LOG_ROTATE) */
int logfile_open(const struct plan *plan, const char *path, struct berr *err); /* fd, or -1 */
bool logfile_full(size_t pending);  /* rotate before the next entry */
void logfile_wrote(size_t n);
int logfile_rotate(int fd);         /* returns the fd to write to */
void __attribute__((noreturn)) keeper_run(const struct plan *plan, pid_t monitor);
int exit_code_of(int status);
int write_exit_status(const char *file, int status, struct berr *err);
void kill_cgroups(const struct plan *plan);
int fast_plan(char **argv, int argc);
char *fast_normalise(const char *s, size_t len, const char *bundle, const char *id, size_t *out_len);
struct launch;
int sync_await_ready(struct launch *l, const char *who, struct berr *err);
void sync_drop_child_ends(struct launch *l); /* after fork: the fds only the child uses */
int update_main(int argc, char **argv);
int verbs_main(int argc, char **argv); /* verbs.c: state, kill, delete, start, pause, resume, ps */
int fast_apply(const struct plan *plan, const char *id);
void run_cleanup(const struct plan *plan);

/* container.c / exec.c */
int container_launch(struct launch *l, struct berr *err); /* create and run: exit code or <0 */
int container_launch_monitored(struct launch *l, struct berr *err);
int exec_launch(struct launch *l, struct berr *err);

struct launch {
  struct plan *plan;
  const char *action;
  bool run;          /* action run: release, wait, exit with status */
  bool exec;         /* action exec */
  bool monitor;      /* T_MONITOR: we are the detached monitor */
  int report_fd;     /* monitor -> launcher pipe, or -1 */
  struct nsplan ns;
  int sync_parent;   /* launcher's end */
  int sync_child;    /* init's end */
  int console_fd;    /* connected console socket or -1 */
  int listener_fd;   /* connected seccomp listener socket or -1 */
  int fifo_fd;       /* O_PATH of T_EXEC_FIFO in the init, or -1 */
  int rootfd;        /* O_PATH of the bound rootfs in the init (rootfs_enter), or -1 */
  int proc_fds;      /* without a mount namespace (no /proc after the chroot): O_PATH of /proc/self/fd, or -1 */
  int pty_master;    /* in the launcher when relaying, or -1 */
  pid_t child;       /* host pid of the container init / exec'd process */
  pid_t host_pid;    /* the same, as seen by the init (for hooks) */
  char *exec_path;   /* resolved by PATH lookup */
  sigset_t oldmask;
  uint64_t preserved_open; /* which of fds 3..66 the caller passed (T_PRESERVE_FDS) */
  bool timens;       /* new time namespace with offsets: the init unshares it itself */
  bool cleaned;      /* failure already undone (by the monitor) */
  int start_fd;      /* init: the exec fifo's write end, kept open (O_CLOEXEC) after the start byte:
                      * a failure before the exec is written there for `start` to report; a
                      * successful execve closes it */
  struct sock_fprog seccomp_prog; /* prepared by seccomp_prepare, .filter NULL when none */
  unsigned seccomp_flags;
  bool seccomp_loaded;
  int child_stdio[3]; /* io.c: the init's stdin/stdout/stderr (monitor-kept stdio), -1 = inherited */
};

#endif
