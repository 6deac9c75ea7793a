/*
 * update.c - `berth-launch --update SCRIPT ARGS...`: runc's `update` for the common flags (memory,
 * swap, reservation, cpu shares/quota/period, cpuset, pids) on cgroup v1 hierarchies, done here
 * without a JVM. Whatever it does not handle for certain - another flag or form, a v2-only
 * controller, a container that is not running, a write the kernel refuses (after restoring what
 * it wrote) - it hands to SCRIPT with BERTH_NO_FAST=1, so the JVM path decides and reports.
 */
#include "berth.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct knob {
  const char *flag;       /* runc's flag */
  const char *controller; /* v1 hierarchy */
  const char *file;
  int size;               /* value with k/m/g units, -1 allowed */
  const char *value;      /* parsed, as written */
  char buf[32];
};

static struct knob knobs[] = {
  {"--memory", "memory", "memory.limit_in_bytes", 1, NULL, ""},
  {"--memory-swap", "memory", "memory.memsw.limit_in_bytes", 1, NULL, ""},
  {"--memory-reservation", "memory", "memory.soft_limit_in_bytes", 1, NULL, ""},
  {"--cpu-shares", "cpu", "cpu.shares", 0, NULL, ""},
  {"--cpu-period", "cpu", "cpu.cfs_period_us", 0, NULL, ""},
  {"--cpu-quota", "cpu", "cpu.cfs_quota_us", 0, NULL, ""},
  {"--cpuset-cpus", "cpuset", "cpuset.cpus", 2, NULL, ""},
  {"--cpuset-mems", "cpuset", "cpuset.mems", 2, NULL, ""},
  {"--pids-limit", "pids", "pids.max", 0, NULL, ""},
};
#define NKNOBS (sizeof knobs / sizeof knobs[0])

static char **script_argv;

static void fallback(void)
{
  setenv("BERTH_NO_FAST", "1", 1);
  execv(script_argv[0], script_argv);
  fprintf(stderr, "berth-runc: exec %s: %s\n", script_argv[0], strerror(errno));
  _exit(127);
}

/* "512m" → bytes; -1 stays -1; numbers only otherwise. */
static int parse_value(struct knob *k, const char *v)
{
  if (k->size == 2) { /* cpu/mem list: digits, ',' and '-' */
    if (!*v || strspn(v, "0123456789,-") != strlen(v) || strlen(v) >= sizeof k->buf)
      return -1;
    snprintf(k->buf, sizeof k->buf, "%s", v);
    k->value = k->buf;
    return 0;
  }
  if (strcmp(v, "-1") == 0 && strcmp(k->flag, "--cpu-shares") != 0 && strcmp(k->flag, "--cpu-period") != 0) {
    snprintf(k->buf, sizeof k->buf, "%s", strcmp(k->flag, "--pids-limit") == 0 ? "max" : "-1");
    k->value = k->buf;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (end == v || errno || v[0] == '-')
    return -1;
  unsigned long long mult = 1;
  if (k->size) {
    if (*end == 'k' || *end == 'K') mult = 1ULL << 10, end++;
    else if (*end == 'm' || *end == 'M') mult = 1ULL << 20, end++;
    else if (*end == 'g' || *end == 'G') mult = 1ULL << 30, end++;
    if (*end == 'b' || *end == 'B') end++;
  }
  if (*end || n > (1ULL << 62) / mult)
    return -1;
  if (strcmp(k->flag, "--pids-limit") == 0 && n == 0) {
    snprintf(k->buf, sizeof k->buf, "max"); /* as runc: 0 = unlimited */
  } else {
    snprintf(k->buf, sizeof k->buf, "%llu", n * mult);
  }
  k->value = k->buf;
  return 0;
}

/* The mount point of the v1 hierarchy holding this controller, from /proc/self/mountinfo. */
static int v1_mount(const char *controller, char *out, size_t outlen)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return -1;
  char line[4096];
  int found = -1;
  while (found < 0 && fgets(line, sizeof line, f)) {
    char *dash = strstr(line, " - ");
    if (!dash || strncmp(dash + 3, "cgroup ", 7) != 0)
      continue;
    /* fields: id parent maj:min root mountpoint ... */
    char *save, *tok = strtok_r(line, " ", &save);
    char *mp = NULL;
    for (int i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " ", &save))
      if (i == 4)
        mp = tok;
    char *opts = strrchr(dash + 3, ' ');
    if (!mp || !opts)
      continue;
    opts++;
    opts[strcspn(opts, "\n")] = 0;
    char *o2, *t = strtok_r(opts, ",", &o2);
    for (; t; t = strtok_r(NULL, ",", &o2))
      if (strcmp(t, controller) == 0) {
        snprintf(out, outlen, "%s", mp);
        found = 0;
        break;
      }
  }
  fclose(f);
  return found;
}

static int read_small(const char *path, char *buf, size_t len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0)
    return -1;
  buf[n] = 0;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

static int write_small(const char *path, const char *v)
{
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int r = write_all(fd, v, strlen(v));
  close(fd);
  return r;
}

int update_main(int argc, char **argv)
{
  /* argv: SCRIPT ARGS... (the wrapper's own command line, for the fallback) */
  if (argc < 2)
    return 2;
  script_argv = argv;
  char **a = argv + 1;
  int n = argc - 1, i = 0;
  const char *root = "/run/berth";
  if (getenv("BERTH_NO_FAST"))
    fallback();
  for (; i < n && a[i][0] == '-'; i++) {
    if (strcmp(a[i], "--root") == 0 && i + 1 < n)
      root = a[++i];
    else if (strncmp(a[i], "--root=", 7) == 0)
      root = a[i] + 7;
    else
      fallback();
  }
  if (i >= n || strcmp(a[i], "update") != 0 || root[0] != '/')
    fallback();
  const char *id = NULL;
  for (i++; i < n; i++) {
    if (a[i][0] != '-') {
      if (id)
        fallback();
      id = a[i];
      continue;
    }
    const char *eq = strchr(a[i], '=');
    size_t flen = eq ? (size_t) (eq - a[i]) : strlen(a[i]);
    struct knob *k = NULL;
    for (size_t j = 0; j < NKNOBS; j++)
      if (strlen(knobs[j].flag) == flen && strncmp(knobs[j].flag, a[i], flen) == 0)
        k = &knobs[j];
    if (!k && strcmp(a[i], "-m") == 0)
      k = &knobs[0];
    if (!k)
      fallback();
    const char *v = eq ? eq + 1 : (i + 1 < n ? a[++i] : NULL);
    if (!v || parse_value(k, v) < 0)
      fallback();
  }
  if (!id || strchr(id, '/') || id[0] == '.')
    fallback();

  /* A running container of this root, and its cgroup path. */
  char path[4096], buf[8192];
  snprintf(path, sizeof path, "%s/%s/pid", root, id);
  if (read_small(path, buf, sizeof buf) < 0)
    fallback();
  pid_t pid = (pid_t) atoi(buf);
  if (pid <= 0 || kill(pid, 0) < 0)
    fallback();
  snprintf(path, sizeof path, "%s/%s/exec.fifo", root, id);
  if (access(path, F_OK) == 0)
    fallback(); /* created, not started: let the JVM decide */
  snprintf(path, sizeof path, "%s/%s/state.json", root, id);
  int sfd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t sl = sfd < 0 ? -1 : read(sfd, buf, sizeof buf - 1);
  if (sfd >= 0)
    close(sfd);
  if (sl <= 0)
    fallback();
  buf[sl] = 0;
  char *cp = strstr(buf, "\"cgroupsPath\": \"");
  if (!cp)
    fallback();
  cp += strlen("\"cgroupsPath\": \"");
  char *ce = strchr(cp, '"');
  if (!ce || ce == cp || memchr(cp, '\\', (size_t) (ce - cp)))
    fallback();
  *ce = 0;

  /* Old values first; then write in an order the kernel accepts; restore all on any refusal. */
  struct { char file[4096]; char old[64]; const char *value; } plan[NKNOBS];
  size_t np = 0;
  for (size_t j = 0; j < NKNOBS; j++) {
    if (!knobs[j].value)
      continue;
    char mount[1024];
    if (v1_mount(knobs[j].controller, mount, sizeof mount) < 0)
      fallback();
    snprintf(plan[np].file, sizeof plan[np].file, "%s%s/%s", mount, cp, knobs[j].file);
    if (read_small(plan[np].file, plan[np].old, sizeof plan[np].old) < 0)
      fallback();
    plan[np].value = knobs[j].value;
    np++;
  }
  if (np == 0)
    fallback();
  /* memory: when the new limit is above the current memory+swap limit, swap goes first (as runc);
   * cpu: period before quota when the quota grows is not needed on v1 (independent files). */
  for (size_t x = 0; x + 1 < np; x++) {
    if (strstr(plan[x].file, "memory.limit_in_bytes") && strstr(plan[x + 1].file, "memory.memsw.limit_in_bytes") &&
        strtoll(plan[x].value, NULL, 10) > strtoll(plan[x + 1].old, NULL, 10)) {
      typeof(plan[0]) t = plan[x];
      plan[x] = plan[x + 1];
      plan[x + 1] = t;
    }
  }
  for (size_t x = 0; x < np; x++) {
    if (write_small(plan[x].file, plan[x].value) < 0) {
      for (size_t y = x; y-- > 0;)
        write_small(plan[y].file, plan[y].old);
      fallback();
    }
  }
  return 0;
}
