/*
 * container.c - create and run: clone the init into its namespaces, let it set itself up, and
 * either leave it blocked on the exec fifo (create) or release it and wait (run).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "berth.h"

/* A failure after READY (after `start`): to whoever reads the exec fifo (`start`, or `run`'s
 * release_init), which reports it and fails; on stderr only if that cannot be done. */
static void report_late_error(struct launch *l, const struct berr *err)
{
  char text[1280];
  berr_format(err, text, sizeof text);
  signal(SIGPIPE, SIG_IGN); /* a reader gone (killed `start`): EPIPE, then stderr */
  if (l->start_fd >= 0 && write_all(l->start_fd, text, strlen(text)) == 0)
    return;
  log_error(err);
}

/* Set once the launcher has recorded the container (pid files): the monitor no longer undoes it. */
static bool monitor_recorded;

/* The container init: runs in the new namespaces, never returns. */
static void __attribute__((noreturn)) init_main(struct launch *l)
{
  struct berr err = {0};
  struct sync_msg m;
  close(l->sync_parent);
  if (io_child(l, &err) < 0)
    goto fail;
  /* the caller's signal mask: a signal sent before start acts as it would on the process */
  sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
  if (l->timens) {
    /* time offsets must be set before any process enters the namespace: the namespace is made
     * for our children (the exec moves us in), the launcher writes the offsets from the host */
    if (unshare(CLONE_NEWTIME) < 0) {
      berr_sys(&err, "unshare: time namespace");
      goto fail;
    }
    if (sync_send(l->sync_child, SYNC_TIMENS, 0, -1, &err) < 0)
      goto fail;
  }
  if (sync_recv(l->sync_child, &m, NULL, &err) != 0 || m.type != SYNC_GO)
    _exit(1);
  l->host_pid = (pid_t) m.value;
  umask(0);
  if ((l->ns.newflags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
    berr_sys(&err, "unshare: cgroup namespace");
    goto fail;
  }
  if (rootfs_enter(l, &err) < 0)
    goto fail;
  if ((l->ns.newflags | l->ns.join_flags) & CLONE_NEWUSER) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      berr_sys(&err, "become root in the user namespace: uid 0");
      goto fail;
    }
    if (setgroups(0, NULL) < 0 && errno != EPERM) {
      berr_sys(&err, "setgroups: 0 groups");
      goto fail;
    }
  }
  if (set_hostname(l->plan, &err) < 0 || rootfs_setup(l, &err) < 0 || rootfs_finish(l, &err) < 0 ||
      terminal_setup(l, &err) < 0 || process_prepare(l, &err) < 0)
    goto fail;
  if (sync_send(l->sync_child, SYNC_READY, 0, -1, &err) < 0)
    goto fail;
  /* Ready, but not ours to keep until the launcher has recorded us (pid files): a launcher killed
   * before that must not leave a live init nobody knows of. EOF here = the launcher died. */
  if (sync_recv(l->sync_child, &m, NULL, &err) != 0 || m.type != SYNC_GO)
    _exit(1);
  close(l->sync_child);
  if (l->fifo_fd >= 0) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", l->fifo_fd);
    /* blocks until `start` opens the read end; the write end stays open (O_CLOEXEC) so that a
     * failure from here to the execve reaches `start` as text after the byte, and a successful
     * execve shows there as end of file */
    int w = l->proc_fds >= 0 ? openat(l->proc_fds, p + strlen("/proc/self/fd/"), O_WRONLY | O_CLOEXEC)
                             : open(p, O_WRONLY | O_CLOEXEC);
    if (w < 0 || write_all(w, "0", 1) < 0) {
      berr_sys(&err, "open exec fifo: %s", plan_get(l->plan, T_EXEC_FIFO));
      goto late_fail;
    }
    l->start_fd = w;
    close(l->fifo_fd);
    if (l->proc_fds >= 0)
      close(l->proc_fds);
  }
  if (hooks_run(l->plan, "startContainer", "created", l->host_pid, &err) < 0)
    goto late_fail;
  signal(SIGPIPE, SIG_DFL);
  process_exec(l, &err);
late_fail:
  report_late_error(l, &err);
  _exit(127);
fail:
  sync_send_error(l->sync_child, &err);
  _exit(1);
}



/* Namespaces the init unshares itself: cgroup (after the launcher moved it into its cgroups, so
 * that the namespace's root is the container's cgroup, as runc) and time (see init_main). */
static int clone_flags(const struct launch *l)
{
  return l->ns.newflags & ~(CLONE_NEWCGROUP | (l->timens ? CLONE_NEWTIME : 0));
}

static int clone_init(struct launch *l, struct berr *err)
{
  bool intermediate = l->ns.join_flags & (CLONE_NEWUSER | CLONE_NEWNS);
  if (!intermediate) {
    if (ns_join(&l->ns, ~0, err) < 0)
      return -1;
    pid_t pid = ns_clone(clone_flags(l), err);
    if (pid < 0)
      return -1;
    if (pid == 0)
      init_main(l);
    l->child = pid;
    return 0;
  }
  /* joining user or mnt would change our own view: an intermediate process joins and clones */
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berr_sys(err, "pipe");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return berr_sys(err, "prctl: PR_SET_CHILD_SUBREAPER");
  pid_t mid = fork();
  if (mid < 0)
    return berr_sys(err, "fork");
  if (mid == 0) {
    close(p[0]);
    pid_t pid = -1;
    if (ns_join(&l->ns, ~0, err) == 0 && (pid = ns_clone(clone_flags(l), err)) == 0)
      init_main(l);
    if (pid < 0) {
      char text[1280];
      berr_format(err, text, sizeof text);
      pid = -1;
      write_all(p[1], &pid, sizeof pid);
      write_all(p[1], text, strlen(text));
      _exit(1);
    }
    write_all(p[1], &pid, sizeof pid);
    _exit(0);
  }
  close(p[1]);
  pid_t pid = -1;
  char text[1280] = "";
  ssize_t n = read(p[0], &pid, sizeof pid);
  ssize_t t = n == sizeof pid && pid < 0 ? read(p[0], text, sizeof text - 1) : 0;
  close(p[0]);
  waitpid(mid, NULL, 0);
  if (n != sizeof pid || pid <= 0)
    return berr_set(err, 0, "join namespaces: %s", t > 0 ? text : "intermediate process failed");
  l->child = pid;
  return 0;
}

static int set_time_offsets(struct launch *l, struct berr *err)
{
  struct sync_msg m;
  int r = sync_recv(l->sync_parent, &m, NULL, err);
  if (r < 0)
    return -1;
  if (r == 1)
    return berr_set(err, 0, "container init exited during setup");
  if (m.type == SYNC_ERROR)
    return berr_set(err, m.errnum, "%s", m.text);
  char buf[1024], path[64];
  size_t off = 0;
  for (const struct plan_record *t = NULL; (t = plan_next(l->plan, T_TIME_OFFSET, t));)
    off += (size_t) snprintf(buf + off, sizeof buf - off, "%s %s %s\n", plan_str(t, 0), plan_str(t, 1),
                             plan_str(t, 2));
  snprintf(path, sizeof path, "/proc/%d/timens_offsets", l->child);
  if (write_proc_file(path, buf, err) < 0)
    return berr_wrap(err, "time offsets");
  return 0;
}

static int write_pid_files(const struct plan *plan, pid_t pid, struct berr *err)
{
  char buf[32], path[4096];
  snprintf(buf, sizeof buf, "%d", pid);
  const char *pf = plan_get(plan, T_PID_FILE), *sd = plan_get(plan, T_STATE_DIR);
  if (pf && *pf && write_file_atomic(pf, buf, err) < 0)
    return berr_wrap(err, "pid file");
  if (sd && *sd) {
    snprintf(path, sizeof path, "%s/pid", sd);
    if (write_file_atomic(path, buf, err) < 0)
      return berr_wrap(err, "pid file");
  }
  return 0;
}

/* What `start` does: read the init's byte from the fifo; fails (instead of blocking) if the init dies. */
static int release_init(struct launch *l, struct berr *err)
{
  const char *fifo = plan_get(l->plan, T_EXEC_FIFO);
  if (!fifo)
    return 0;
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berr_sys(err, "open exec fifo: %s", fifo);
  int pidfd = (int) syscall(SYS_pidfd_open, l->child, 0);
  char c;
  ssize_t n = 0;
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
      break;
    n = read(fd, &c, 1);
    if (n == 1 || (n < 0 && errno != EAGAIN && errno != EINTR))
      break;
    if (p[1].revents) {
      n = 0;
      break;
    }
    if (n == 0 && (p[0].revents & POLLHUP)) {
      /* no writer yet (or anymore): wait for the writer or the init's death */
      struct timespec ts = {0, 2 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  if (n != 1) {
    close(fd);
    if (pidfd >= 0)
      close(pidfd);
    unlink(fifo);
    return berr_set(err, EPIPE, "container init exited before start: %s", fifo);
  }
  unlink(fifo);
  /* then until end of file: the init's execve (or its death) closes the write end; text before
   * that is the init's error (see report_late_error) */
  char text[1280];
  size_t len = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
      break;
    ssize_t r = read(fd, text + len, sizeof text - 1 - len);
    if (r > 0) {
      len += (size_t) r;
      if (len == sizeof text - 1)
        break;
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  close(fd);
  if (pidfd >= 0)
    close(pidfd);
  text[len] = 0;
  if (len)
    return berr_set(err, 0, "%s", text);
  return 0;
}

/* A process killed by SIGSYS was killed by its seccomp filter (SCMP_ACT_KILL*, or SCMP_ACT_TRAP
 * unhandled); one killed by SIGSEGV/SIGILL/SIGBUS under a profile refusing what every process needs
 * (Java's hint, T_SECCOMP field 2) most likely by that. Said on stderr (and T_LOG), since the exit
 * code alone (128+signal) names no cause. */
static void explain_death(const struct plan *plan, int status)
{
  const struct plan_record *s = plan_find(plan, T_SECCOMP);
  if (!s || !WIFSIGNALED(status))
    return;
  int sig = WTERMSIG(status);
  char text[1280];
  if (sig == SIGSYS)
    snprintf(text, sizeof text, "container process killed by SIGSYS: linux.seccomp refused a system call it made "
                                "(SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS or SCMP_ACT_TRAP)");
  else if ((sig == SIGSEGV || sig == SIGILL || sig == SIGBUS) && *plan_str(s, 2))
    snprintf(text, sizeof text, "container process killed by signal %d (%s): %s", sig, strsignal(sig),
             plan_str(s, 2));
  else
    return;
  log_error_text(text);
}

int container_launch(struct launch *l, struct berr *err)
{
  int sp[2];
  if (ns_prepare(l->plan, &l->ns, err) < 0 || terminal_connect_console(l->plan, &l->console_fd, err) < 0 ||
      seccomp_connect_listener(l->plan, &l->listener_fd, err) < 0 || io_prepare(l, err) < 0)
    return -1;
  const char *fifo = plan_get(l->plan, T_EXEC_FIFO);
  /* Created here rather than in Java (keeps the JVM's hot path free of native calls); 0622 as
   * runc: whatever user the process runs as can write it. */
  if (fifo && mkfifo(fifo, 0622) < 0 && errno != EEXIST)
    return berr_sys(err, "exec fifo: %s", fifo);
  if (fifo && chmod(fifo, 0622) < 0)
    return berr_sys(err, "exec fifo: %s", fifo);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berr_sys(err, "socketpair");
  l->sync_parent = sp[0];
  l->sync_child = sp[1];
  if ((l->run || l->monitor) && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return berr_sys(err, "prctl: PR_SET_CHILD_SUBREAPER");
  /* refuse what would change the host's own: a hostname needs a uts namespace of its own (mounts
   * without a mount namespace: rootfs_enter_shared) */
  if ((plan_get(l->plan, T_HOSTNAME) || plan_get(l->plan, T_DOMAINNAME)) &&
      !((l->ns.newflags | l->ns.join_flags) & CLONE_NEWUTS))
    return berr_set(err, EINVAL, "plan: hostname without a new uts namespace: %s",
                    plan_get(l->plan, T_HOSTNAME) ? plan_get(l->plan, T_HOSTNAME) : "");
  /* as runc: a pty nobody holds after we exit would hang up on the process */
  if (!l->run && !l->monitor && plan_find(l->plan, T_TERMINAL) && !plan_get(l->plan, T_CONSOLE_SOCKET))
    return berr_set(err, EINVAL, "plan: terminal for a detached container without a console socket: %s",
                    plan_get(l->plan, T_ID) ? plan_get(l->plan, T_ID) : "");
  l->timens = (l->ns.newflags & CLONE_NEWTIME) && plan_find(l->plan, T_TIME_OFFSET);
  int cloned = clone_init(l, err);
  io_after_clone(l);
  if (cloned < 0)
    return -1;
  sync_drop_child_ends(l);
  if (l->timens && set_time_offsets(l, err) < 0)
    return -1;
  if ((l->ns.newflags & CLONE_NEWUSER) && ns_write_id_maps(l->plan, l->child, err) < 0)
    return -1;
  if (set_oom_score_adj(l->plan, l->child, err) < 0 || join_cgroups(l->plan, l->child, err) < 0)
    return -1;
  if (hooks_run(l->plan, "prestart", "creating", l->child, err) < 0 ||
      hooks_run(l->plan, "createRuntime", "creating", l->child, err) < 0)
    return -1;
  if (sync_send(l->sync_parent, SYNC_GO, l->child, -1, err) < 0)
    return -1;
  if (sync_await_ready(l, "container init", err) < 0)
    return -1;
  if (l->monitor) {
    /* the launcher writes the pid files; tell it the pid and wait until it has (if it is killed
     * before, the create failed: undo it all rather than run a container nobody recorded) */
    struct sync_msg ack;
    if (sync_send(l->report_fd, SYNC_READY, l->child, -1, err) < 0)
      return -1;
    int r = sync_recv(l->report_fd, &ack, NULL, err);
    if (r < 0)
      return -1;
    if (r == 1 || ack.type != SYNC_GO) {
      close(l->report_fd);
      l->report_fd = -1;
      return berr_set(err, 0, "launcher exited before recording the container");
    }
    /* recorded: from here on the container's end is recorded, never undone (that is delete's) */
    monitor_recorded = true;
  } else if (write_pid_files(l->plan, l->child, err) < 0) {
    return -1;
  }
  /* recorded: the init may now wait for start on its own; it closes its end just before it opens
   * the exec fifo, and we return no earlier (`start` then finds it there, as before). A monitor
   * whose init died meanwhile goes on to record that end. */
  if (sync_send(l->sync_parent, SYNC_GO, 0, -1, err) < 0 && !l->monitor)
    return -1;
  struct sync_msg eof;
  struct berr ignored;
  sync_recv(l->sync_parent, &eof, NULL, &ignored);
  close(l->sync_parent);
  l->sync_parent = -1;
  if (!l->run && !l->monitor)
    return 0;
  if (l->run) {
    /* reads on to the execve: a failed exec fails run, and run -d too (the monitor reports after,
     * and undoes it all: the launcher is still waiting, so nobody else holds the container yet) */
    if (release_init(l, err) < 0) {
      monitor_recorded = false;
      return -1;
    }
    struct berr warn = {0};
    if (hooks_run(l->plan, "poststart", "running", l->child, &warn) < 0)
      log_warning(&warn);
  }
  if (l->monitor) {
    /* the launcher returns now (run -d: started, as runc): nothing of the setup is left that a
     * kill of the monitor or a delete could catch half-way */
    struct berr ignored_send;
    sync_send(l->report_fd, SYNC_READY, 0, -1, &ignored_send);
    close(l->report_fd);
    l->report_fd = -1;
  }
  if (l->pty_master >= 0 && !l->monitor && terminal_relay_prepare(l->pty_master, err) < 0)
    return -1;
  int status;
  int r = io_active() ? io_wait(l, &status, err) : monitor_wait(l, &status, err);
  terminal_restore();
  if (r < 0)
    return -1;
  l->child = 0;
  explain_death(l->plan, status);
  /* A foreground run is over: undo it all. A detached (monitored) one stays "stopped" until delete. */
  if (l->run && !l->monitor) {
    struct berr warn = {0};
    if (hooks_run(l->plan, "poststop", "stopped", 0, &warn) < 0)
      log_warning(&warn);
    kill_cgroups(l->plan);
    run_cleanup(l->plan);
  }
  const char *statusfile = plan_get(l->plan, T_MONITOR);
  if (l->monitor && statusfile && *statusfile && write_exit_status(statusfile, status, err) < 0)
    return -1;
  return exit_code_of(status);
}

/* The monitor: sets the container up as the init's parent and subreaper, then waits for it. */
static void __attribute__((noreturn)) monitor_main(struct launch *l, int report_fd)
{
  setsid(); /* a session of its own, apart from the keeper's */
  l->monitor = true;
  if (io_requested(l->plan)) {
    /* the container's stdio is ours to keep: the caller's (the daemon's pipes to the launcher)
     * reach EOF when the launcher exits; our errors go over report_fd or to T_LOG */
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && nul >= 0; fd++)
      dup2(nul, fd);
    if (nul > 2)
      close(nul);
  }
  l->report_fd = report_fd;
  struct berr merr = {0};
  /* first of all, before anything of ours is in the state directory: delete must know whom to
   * wait for (it may write the exit status there) */
  const char *sd = plan_get(l->plan, T_STATE_DIR);
  int r = sd && *sd && write_proc_record(sd, "monitor", &merr) < 0 ? -1 : container_launch(l, &merr);
  if (r < 0) {
    if (l->report_fd >= 0)
      sync_send_error(l->report_fd, &merr);
    else
      log_error(&merr);
    io_cleanup();
    if (monitor_recorded)
      kill(getpid(), SIGKILL); /* recorded: never undone; the keeper takes over and records the end */
    if (l->child > 0) {
      kill(l->child, SIGKILL);
      waitpid(l->child, NULL, 0);
    }
    kill_cgroups(l->plan);
    run_cleanup(l->plan);
    _exit(1);
  }
  _exit(0);
}

/*
 * Detached: a keeper K (setsid, subreaper) forks the monitor M, the init's parent; we report M's
 * outcome and exit. K only waits: if M is killed, the init is re-parented to K (the nearest
 * subreaper), which then records its exit status instead (monitor.c, keeper_run).
 */
int container_launch_monitored(struct launch *l, struct berr *err)
{
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return berr_sys(err, "socketpair");
  pid_t m = fork();
  if (m < 0)
    return berr_sys(err, "fork monitor");
  if (m == 0) {
    close(sp[0]);
    setsid();
    struct berr kerr = {0};
    const char *sd = plan_get(l->plan, T_STATE_DIR);
    if (sd && *sd && write_proc_record(sd, "keeper", &kerr) < 0) {
      sync_send_error(sp[1], &kerr);
      _exit(1);
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
      berr_sys(&kerr, "prctl: PR_SET_CHILD_SUBREAPER");
      sync_send_error(sp[1], &kerr);
      _exit(1);
    }
    pid_t mon = fork();
    if (mon < 0) {
      berr_sys(&kerr, "fork monitor");
      sync_send_error(sp[1], &kerr);
      _exit(1);
    }
    if (mon == 0)
      monitor_main(l, sp[1]);
    close(sp[1]); /* the launcher sees EOF when the monitor is gone */
    keeper_run(l->plan, mon);
  }
  close(sp[1]);
  struct sync_msg msg;
  int r = sync_recv(sp[0], &msg, NULL, err);
  if (r != 0 || msg.type != SYNC_READY)
    close(sp[0]);
  if (r < 0)
    return -1;
  if (r == 1)
    return berr_set(err, 0, "monitor exited during setup");
  if (msg.type == SYNC_ERROR) {
    waitpid(m, NULL, 0);
    l->cleaned = true;
    return berr_set(err, msg.errnum, "%s", msg.text);
  }
  if (msg.type != SYNC_READY)
    return berr_set(err, EPROTO, "monitor: unexpected message %d", msg.type);
  if (write_pid_files(l->plan, (pid_t) msg.value, err) < 0) {
    close(sp[0]); /* the monitor sees EOF instead of the ack: it undoes the container */
    waitpid(m, NULL, 0);
    l->cleaned = true;
    return -1;
  }
  if (sync_send(sp[0], SYNC_GO, 0, -1, err) < 0) {
    close(sp[0]);
    return -1;
  }
  /* Return once the monitor has started the container (or was killed: then the keeper has it). */
  struct berr ignored;
  r = sync_recv(sp[0], &msg, NULL, &ignored);
  close(sp[0]);
  if (r == 0 && msg.type == SYNC_ERROR) {
    waitpid(m, NULL, 0); /* the keeper goes once the monitor has undone it all */
    l->cleaned = true;
    return berr_set(err, msg.errnum, "%s", msg.text);
  }
  return 0;
}
