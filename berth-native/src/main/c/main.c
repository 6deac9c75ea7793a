/* main.c - berth-launch --plan-fd N: read the plan, dispatch on its action. */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "berth.h"

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM,
                                SIGCONT, SIGTSTP, SIGWINCH, SIGCHLD, SIGPWR, SIGURG};

/* T_PRESERVE_FDS names fds 3..3+n-1: remember which of them the caller really passed, and park
 * /dev/null (close-on-exec) in the others so that nothing the launcher opens can take their place
 * and leak into the process. */
static uint64_t reserve_preserved_fds(const struct plan *plan)
{
  const char *n = plan_get(plan, T_PRESERVE_FDS);
  uint64_t count = 0, open_mask = 0;
  struct berr ignored;
  if (!n || parse_u64(n, &count, &ignored) < 0)
    return 0;
  for (uint64_t i = 0; i < count && i < 64; i++) {
    int fd = (int) (3 + i);
    if (fcntl(fd, F_GETFD) >= 0) {
      open_mask |= 1ULL << i;
      continue;
    }
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul >= 0 && nul != fd) {
      dup3(nul, fd, O_CLOEXEC);
      close(nul);
    }
  }
  return open_mask;
}

static void usage_fail(const char *msg)
{
  log_error_text(msg);
  exit(1);
}

int main(int argc, char **argv)
{
  struct berr err = {0};
  int plan_fd = -1;
  if (argc > 1 && strcmp(argv[1], "--update") == 0)
    return update_main(argc - 2, argv + 2); /* no container is entered: no sealed re-exec needed */
  if (argc > 1 && strcmp(argv[1], "--verb") == 0)
    return verbs_main(argc - 2, argv + 2); /* nor here */
  bool fast = argc > 1 && strcmp(argv[1], "--fast") == 0;
  if (fast) {
    /* bin/berth-runc's warm path (fast.c): seal first, then look the template up. */
    if (ensure_cloned_binary(argv, &err) < 0) {
      log_error(&err);
      return 1;
    }
    plan_fd = fast_plan(argv + 2, argc - 2);
    if (plan_fd < 0)
      usage_fail("usage: berth-launch --fast ROOT ACTION DETACH BUNDLE ID PID-FILE LOG LOG-FORMAT FALLBACK...");
  }
  for (int i = 1; i < argc && !fast; i++) {
    if (strcmp(argv[i], "--plan-fd") == 0 && i + 1 < argc)
      plan_fd = atoi(argv[++i]);
    else if (strcmp(argv[i], "--plan-file") == 0 && i + 1 < argc) {
      /* The hand-over through bin/berth-runc: the JVM wrote the plan to a root-only file and
       * exited; its shell exec'd us. Take the file (open, unlink) and continue as --plan-fd, which
       * is also what the sealed re-exec below sees. */
      static char fdbuf[16];
      const char *path = argv[i + 1];
      plan_fd = open(path, O_RDONLY | O_NOFOLLOW);
      if (plan_fd < 0) {
        berr_sys(&err, "open plan: %s", path);
        log_error(&err);
        return 1;
      }
      unlink(path);
      snprintf(fdbuf, sizeof fdbuf, "%d", plan_fd);
      argv[i] = (char *) "--plan-fd";
      argv[++i] = fdbuf;
    }
    else if (strcmp(argv[i], "--version") == 0) {
      puts("berth-launch 0.1.0");
      return 0;
    } else
      usage_fail("usage: berth-launch --plan-fd N | --plan-file PATH");
  }
  if (plan_fd < 0)
    usage_fail("usage: berth-launch --plan-fd N | --plan-file PATH");
  if (!fast && ensure_cloned_binary(argv, &err) < 0) {
    log_error(&err);
    return 1;
  }
  struct plan plan;
  if (plan_read(plan_fd, &plan, &err) < 0) {
    log_error(&err);
    return 1;
  }
  close(plan_fd);
  log_init(&plan);
  if (fast)
    fast_apply(&plan, plan_get(&plan, T_ID)); /* may still fall back to the JVM, with the key */
  unsetenv("BERTH_PLAN_KEY"); /* the warm path's hand-over to the JVM, not for hooks or monitors */
  uint64_t preserved_open = reserve_preserved_fds(&plan);
  signal(SIGPIPE, SIG_IGN);

  struct launch l;
  memset(&l, 0, sizeof l);
  l.plan = &plan;
  l.report_fd = l.sync_parent = l.sync_child = l.console_fd = l.listener_fd = l.fifo_fd = l.proc_fds = l.rootfd =
      l.pty_master = l.start_fd = -1;
  l.preserved_open = preserved_open;
  l.child_stdio[0] = l.child_stdio[1] = l.child_stdio[2] = -1;
  l.action = plan_get(&plan, T_ACTION);
  if (!l.action)
    usage_fail("plan: no action");
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &l.oldmask);

  int code;
  bool monitored = plan_find(&plan, T_MONITOR) != NULL;
  if (strcmp(l.action, "create") == 0 || strcmp(l.action, "run") == 0) {
    l.run = strcmp(l.action, "run") == 0;
    code = monitored ? container_launch_monitored(&l, &err) : container_launch(&l, &err);
  } else if (strcmp(l.action, "exec") == 0) {
    l.exec = true;
    code = exec_launch(&l, &err);
  } else {
    berr_set(&err, EINVAL, "plan: unknown action: %s", l.action);
    code = -1;
  }
  if (code >= 0)
    return code;
  terminal_restore();
  log_error(&err);
  if (l.child > 0) {
    kill(l.child, SIGKILL);
    waitpid(l.child, NULL, 0);
  }
  if (!l.cleaned && !l.exec) {
    kill_cgroups(&plan);
    run_cleanup(&plan);
  }
  return 1;
}
