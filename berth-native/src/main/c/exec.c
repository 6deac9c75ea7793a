/* exec.c - a new process in a running container: join its namespaces and cgroups, fork, exec. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "berth.h"

static void __attribute__((noreturn)) exec_child(struct launch *l)
{
  struct berr err = {0};
  struct sync_msg m;
  close(l->sync_parent);
  /* the caller's signal mask: a signal sent before start acts as it would on the process */
  sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
  if (sync_recv(l->sync_child, &m, NULL, &err) != 0 || m.type != SYNC_GO)
    _exit(1);
  l->host_pid = (pid_t) m.value;
  if ((l->ns.join_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
    berr_sys(&err, "become root in the user namespace: uid 0");
    sync_send_error(l->sync_child, &err);
    _exit(1);
  }
  /* a container without a mount namespace of its own: its root is the init's (chroot) */
  const char *root = plan_get(l->plan, T_ROOTFS);
  if (root && *root && (chroot(root) < 0 || chdir("/") < 0)) {
    berr_sys(&err, "chroot: %s", root);
    sync_send_error(l->sync_child, &err);
    _exit(1);
  }
  /* berth debug: a mount namespace of the session's own, rooted in the tools image; the session
   * ends with the launcher (berthd gone: no debug shell left behind in the container) */
  if (plan_find(l->plan, T_DEBUG_ROOT)) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
      berr_sys(&err, "debug: parent death signal");
      sync_send_error(l->sync_child, &err);
      _exit(1);
    }
    if (debug_root_setup(l, &err) < 0) {
      sync_send_error(l->sync_child, &err);
      _exit(1);
    }
  }
  if (terminal_setup(l, &err) < 0 || process_prepare(l, &err) < 0) {
    sync_send_error(l->sync_child, &err);
    _exit(1);
  }
  if (sync_send(l->sync_child, SYNC_READY, 0, -1, &err) < 0)
    _exit(1);
  close(l->sync_child);
  signal(SIGPIPE, SIG_DFL);
  process_exec(l, &err);
  log_error(&err);
  _exit(127);
}

/* berth debug: once the session's process has ended, whatever it left running (a background job)
 * is killed: every process of the container's cgroups in the session's mount namespace. */
static void debug_kill_leftovers(const struct plan *plan, const struct stat *mntns)
{
  for (int round = 0; round < 200; round++) {
    int found = 0;
    for (const struct plan_record *r = NULL; (r = plan_next(plan, T_CGROUP, r));) {
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/cgroup.procs", plan_str(r, 0));
      FILE *f = fopen(path, "re");
      if (!f)
        continue;
      long pid;
      while (fscanf(f, "%ld", &pid) == 1) {
        char ns[64];
        struct stat st;
        snprintf(ns, sizeof ns, "/proc/%ld/ns/mnt", pid);
        if (stat(ns, &st) == 0 && st.st_ino == mntns->st_ino && st.st_dev == mntns->st_dev) {
          kill((pid_t) pid, SIGKILL);
          found++;
        }
      }
      fclose(f);
    }
    if (!found)
      return;
    usleep(5000);
  }
}

int exec_launch(struct launch *l, struct berr *err)
{
  /* host-side fds first: after setns(mnt) paths mean the container's */
  int piddir = -1, ncg = 0, cgfd[32];
  const char *pidbase = NULL, *pidfile = plan_get(l->plan, T_PID_FILE);
  if (pidfile && *pidfile && dirfd_and_base(pidfile, &piddir, &pidbase, err) < 0)
    return berr_wrap(err, "pid file");
  /* oom_score_adj is inherited by fork: set ours while we still have the host's caps (lowering it
   * needs CAP_SYS_RESOURCE in the initial user namespace, gone after setns(user)) */
  if (set_oom_score_adj(l->plan, getpid(), err) < 0)
    return -1;
  for (const struct plan_record *r = NULL; (r = plan_next(l->plan, T_CGROUP, r));) {
    if (ncg == 32)
      return berr_set(err, E2BIG, "join cgroup: too many: %s", plan_str(r, 0));
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cgroup.procs", plan_str(r, 0));
    if ((cgfd[ncg] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
      return berr_sys(err, "open: %s", path);
    ncg++;
  }
  if (ns_prepare(l->plan, &l->ns, err) < 0 || terminal_connect_console(l->plan, &l->console_fd, err) < 0 ||
      seccomp_connect_listener(l->plan, &l->listener_fd, err) < 0)
    return -1;
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berr_sys(err, "socketpair");
  l->sync_parent = sp[0];
  l->sync_child = sp[1];
  if (ns_join(&l->ns, ~0, err) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return berr_sys(err, "fork");
  if (pid == 0)
    exec_child(l);
  l->child = pid;
  sync_drop_child_ends(l);
  char buf[32];
  snprintf(buf, sizeof buf, "%d", pid);
  const struct plan_record *cg = NULL;
  for (int i = 0; i < ncg; i++) {
    cg = plan_next(l->plan, T_CGROUP, cg);
    if (write_all(cgfd[i], buf, strlen(buf)) < 0)
      return berr_sys(err, "join cgroup: %s/cgroup.procs", plan_str(cg, 0));
    close(cgfd[i]);
  }
  if (sync_send(l->sync_parent, SYNC_GO, pid, -1, err) < 0)
    return -1;
  if (sync_await_ready(l, "exec process", err) < 0)
    return -1;
  close(l->sync_parent);
  l->sync_parent = -1;
  struct stat mntns = {0};
  bool debug = plan_find(l->plan, T_DEBUG_ROOT) != NULL;
  if (debug) {
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", pid);
    if (stat(ns, &mntns) < 0)
      return berr_sys(err, "debug: %s", ns);
  }
  if (piddir >= 0) {
    if (write_file_atomic_at(piddir, pidbase, buf, err) < 0)
      return berr_wrap(err, "pid file %s", pidfile);
    close(piddir);
    if (!plan_find(l->plan, T_EXEC_WAIT))
      return 0; /* detached */
  }
  if (l->pty_master >= 0 && terminal_relay_prepare(l->pty_master, err) < 0)
    return -1;
  int status;
  int r = monitor_wait(l, &status, err);
  terminal_restore();
  if (r < 0)
    return -1;
  l->child = 0;
  if (debug)
    debug_kill_leftovers(l->plan, &mntns);
  return exit_code_of(status);
}
