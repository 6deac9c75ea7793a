/* monitor.c - waiting for the container: reaping (as subreaper), signal forwarding, pty relay, exit status. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "berth.h"

int exit_code_of(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

int write_exit_status(const char *file, int status, struct berr *err)
{
  char buf[64];
  if (WIFSIGNALED(status))
    snprintf(buf, sizeof buf, "signaled %d\n", WTERMSIG(status));
  else
    snprintf(buf, sizeof buf, "exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 255);
  return write_file_atomic(file, buf, err);
}

static void copy_some(int from, int to, bool *eof)
{
  char buf[4096];
  ssize_t n = read(from, buf, sizeof buf);
  if (n > 0)
    write_all(to, buf, (size_t) n);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    *eof = true;
}

/*
 * Reads the signalfd: forwards the signals to l->child (SIGWINCH resizes the relayed pty instead)
 * and reaps (we are a subreaper: orphans too). Returns 1 once l->child is reaped (*status set),
 * 0 if not yet, -1 if it is not our child.
 */
int monitor_signals(struct launch *l, int sfd, int *status, struct berr *err)
{
  struct signalfd_siginfo si;
  while (read(sfd, &si, sizeof si) == sizeof si) {
    int sig = (int) si.ssi_signo;
    if (sig == SIGCHLD)
      continue;
    if (sig == SIGWINCH && l->pty_master >= 0)
      terminal_resize_from(0, l->pty_master);
    else if (sig != SIGWINCH)
      kill(l->child, sig);
  }
  pid_t w;
  int st;
  bool done = false;
  while ((w = waitpid(-1, &st, WNOHANG)) > 0)
    if (w == l->child) {
      *status = st;
      done = true;
    }
  if (w < 0 && errno == ECHILD && !done)
    return berr_set(err, ECHILD, "wait: container process %d", l->child);
  return done ? 1 : 0;
}

/* Waits for l->child, forwarding the blocked signals to it and relaying l->pty_master if set. */
int monitor_wait(struct launch *l, int *status_out, struct berr *err)
{
  sigset_t set;
  sigprocmask(SIG_BLOCK, NULL, &set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return berr_sys(err, "signalfd");
  /* a detached monitor relays the pty's output to its own stdout (the log), never reads stdin */
  bool in_eof = l->pty_master < 0 || l->monitor, out_eof = l->pty_master < 0, done = false;
  int status = 0;
  while (!done) {
    struct pollfd p[3] = {{sfd, POLLIN, 0}, {in_eof ? -1 : 0, POLLIN, 0}, {out_eof ? -1 : l->pty_master, POLLIN, 0}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) {
      close(sfd);
      return berr_sys(err, "poll");
    }
    if (p[1].revents)
      copy_some(0, l->pty_master, &in_eof);
    if (p[2].revents)
      copy_some(l->pty_master, 1, &out_eof);
    int r = monitor_signals(l, sfd, &status, err);
    if (r < 0) {
      close(sfd);
      return -1;
    }
    done = r == 1;
  }
  if (l->pty_master >= 0) {
    /* drain what the process wrote last */
    fcntl(l->pty_master, F_SETFL, O_NONBLOCK);
    bool eof = false;
    for (int i = 0; i < 64 && !eof; i++)
      copy_some(l->pty_master, 1, &eof);
  }
  close(sfd);
  *status_out = status;
  return 0;
}

static void kill_listed(const char *dir)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  FILE *f = fopen(path, "re");
  if (!f)
    return;
  int pid;
  while (fscanf(f, "%d", &pid) == 1)
    kill(pid, SIGKILL);
  fclose(f);
}

/* cgroup v1: with a freezer, freeze first so that nothing forks between reading and killing */
static const char *freeze(const struct plan *plan)
{
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_KILL_CGROUP, r));) {
    char path[4096], state[32] = "";
    struct berr ignored;
    snprintf(path, sizeof path, "%s/freezer.state", plan_str(r, 0));
    if (access(path, W_OK) != 0 || write_file_at(AT_FDCWD, path, "FROZEN", &ignored) < 0)
      continue;
    for (int i = 0; i < 100; i++) {
      FILE *f = fopen(path, "re");
      if (f) {
        if (!fgets(state, sizeof state, f))
          state[0] = 0;
        fclose(f);
      }
      if (strncmp(state, "FROZEN", 6) == 0)
        break;
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    return plan_str(r, 0);
  }
  return NULL;
}

void kill_cgroups(const struct plan *plan)
{
  const char *frozen = freeze(plan);
  if (frozen) {
    char path[4096];
    struct berr ignored;
    for (const struct plan_record *r = NULL; (r = plan_next(plan, T_KILL_CGROUP, r));)
      kill_listed(plan_str(r, 0));
    snprintf(path, sizeof path, "%s/freezer.state", frozen);
    write_file_at(AT_FDCWD, path, "THAWED", &ignored);
  }
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_KILL_CGROUP, r));) {
    char path[4096];
    struct berr ignored;
    /* cgroup v2 (5.14+): one write kills the whole subtree, forks included */
    snprintf(path, sizeof path, "%s/cgroup.kill", plan_str(r, 0));
    if (access(path, W_OK) == 0)
      write_file_at(AT_FDCWD, path, "1", &ignored);
    snprintf(path, sizeof path, "%s/cgroup.procs", plan_str(r, 0));
    for (int round = 0; round < 500; round++) {
      FILE *f = fopen(path, "re");
      if (!f)
        break;
      int pid, n = 0;
      while (fscanf(f, "%d", &pid) == 1) {
        kill(pid, SIGKILL);
        n++;
      }
      fclose(f);
      while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
      if (n == 0)
        break;
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    rmdir(plan_str(r, 0));
  }
}

/* <state dir>/exec-cache: the warm exec templates (verbs.c), whose names no plan knows */
static void remove_exec_cache(const char *state_dir)
{
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/exec-cache", state_dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
  rmdir(dir);
}

void run_cleanup(const struct plan *plan)
{
  const char *sd = plan_get(plan, T_STATE_DIR);
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_CLEANUP, r));) {
    const char *p = plan_str(r, 0);
    if (sd && *sd && strcmp(p, sd) == 0)
      remove_exec_cache(sd);
    if (unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
      rmdir(p);
  }
}

/*
 * The keeper: parent of the monitor, subreaper, otherwise idle (stdio on /dev/null). When the
 * monitor exits by itself it has done its work (exit status written, or the create undone). When it
 * is killed, the init (already recorded in <state dir>/pid: the monitor goes on only after that)
 * becomes the keeper's child; the keeper waits for it and writes the exit status in its place.
 */
void keeper_run(const struct plan *plan, pid_t monitor)
{
  int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && nul >= 0; fd++)
    dup2(nul, fd);
  int st;
  pid_t w;
  while ((w = waitpid(-1, &st, 0)) != monitor)
    if (w < 0 && errno != EINTR)
      _exit(0);
  if (!WIFSIGNALED(st))
    _exit(0);
  const char *sd = plan_get(plan, T_STATE_DIR), *statusfile = plan_get(plan, T_MONITOR);
  char path[4096], buf[32] = "";
  snprintf(path, sizeof path, "%s/pid", sd ? sd : "");
  FILE *f = sd ? fopen(path, "re") : NULL;
  if (f) {
    if (!fgets(buf, sizeof buf, f))
      buf[0] = 0;
    fclose(f);
  }
  pid_t init = (pid_t) atoi(buf);
  if (init <= 0 || !statusfile || !*statusfile)
    _exit(0); /* not recorded: the launcher undoes the create */
  for (;;) {
    w = waitpid(-1, &st, 0);
    if (w == init) {
      struct berr ignored;
      io_cleanup_plan(plan); /* the monitor's control socket: nobody listens any more */
      write_exit_status(statusfile, st, &ignored);
      _exit(0);
    }
    if (w < 0 && errno != EINTR)
      _exit(0); /* not our child: nothing to learn */
  }
}
