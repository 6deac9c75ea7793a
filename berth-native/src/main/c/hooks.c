/* hooks.c - the spec's hooks: each gets the state JSON on stdin, its env, and is killed on timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "berth.h"

char *state_json(const struct plan *plan, const char *status, pid_t pid)
{
  const struct plan_record *s = plan_find(plan, T_HOOK_STATE);
  size_t len = 64 + (s ? strlen(plan_str(s, 0)) + strlen(plan_str(s, 1)) + strlen(plan_str(s, 2)) : 0) + 512;
  char *buf = malloc(len);
  if (!buf)
    return NULL;
  if (s)
    snprintf(buf, len, "%s%s%s%d%s", plan_str(s, 0), status, plan_str(s, 1), pid, plan_str(s, 2));
  else
    snprintf(buf, len, "{\"ociVersion\":\"1.0.2\",\"id\":\"%.200s\",\"status\":\"%s\",\"pid\":%d,\"bundle\":\"%.200s\"}",
             plan_get(plan, T_ID) ? plan_get(plan, T_ID) : "", status, pid,
             plan_get(plan, T_BUNDLE) ? plan_get(plan, T_BUNDLE) : "");
  return buf;
}

static int run_hook(const struct plan *plan, const struct plan_record *h, const char *status, pid_t pid,
                    struct berr *err)
{
  const char *path = plan_str(h, 2);
  uint64_t timeout = 0, argc = 0;
  if (parse_u64(plan_str(h, 1), &timeout, err) < 0 || parse_u64(plan_str(h, 3), &argc, err) < 0)
    return berr_wrap(err, "hook %s", path);
  if (4 + argc > h->nfields)
    return berr_set(err, EINVAL, "hook %s: argc %s", path, plan_str(h, 3));
  char *json = state_json(plan, status, pid);
  char **argv = argc ? plan_strv(h, 4, (unsigned) argc) : plan_strv(h, 2, 1);
  char **envp = plan_strv(h, 4 + (unsigned) argc, h->nfields - 4 - (unsigned) argc);
  int in[2] = {-1, -1};
  int ret = -1;
  if (!json || !argv || !envp || pipe2(in, O_CLOEXEC) < 0) {
    berr_sys(err, "hook %s", path);
    goto out;
  }
  pid_t child = fork();
  if (child < 0) {
    berr_sys(err, "fork hook: %s", path);
    goto out;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in[0], 0);
    execve(path, argv, envp);
    _exit(127);
  }
  close(in[0]);
  in[0] = -1;
  write_all(in[1], json, strlen(json));
  close(in[1]);
  in[1] = -1;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int st;
  for (;;) {
    pid_t w = waitpid(child, &st, WNOHANG);
    if (w == child)
      break;
    if (w < 0 && errno != EINTR) {
      berr_sys(err, "wait hook: %s", path);
      goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout && (uint64_t) (now.tv_sec - start.tv_sec) >= timeout) {
      kill(child, SIGKILL);
      waitpid(child, &st, 0);
      berr_set(err, ETIMEDOUT, "%s hook: %s: killed after %llus", plan_str(h, 0), path,
               (unsigned long long) timeout);
      goto out;
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    ret = 0;
  else if (WIFEXITED(st))
    berr_set(err, 0, "%s hook: %s: exit status %d", plan_str(h, 0), path, WEXITSTATUS(st));
  else
    berr_set(err, 0, "%s hook: %s: killed by signal %d", plan_str(h, 0), path, WTERMSIG(st));
out:
  if (in[0] >= 0)
    close(in[0]);
  if (in[1] >= 0)
    close(in[1]);
  free(json);
  free(argv);
  free(envp);
  return ret;
}

int hooks_run(const struct plan *plan, const char *stage, const char *status, pid_t pid, struct berr *err)
{
  for (const struct plan_record *h = NULL; (h = plan_next(plan, T_HOOK, h));)
    if (strcmp(plan_str(h, 0), stage) == 0 && run_hook(plan, h, status, pid, err) < 0)
      return -1;
  return 0;
}
