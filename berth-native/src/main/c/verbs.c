/*
 * verbs.c - `berth-launch --verb SCRIPT ARGS...`: runc's `state`, `kill [--all]`, `delete
 * [--force]`, `start`, `pause`, `resume` and `ps --format json` without a JVM: the verbs
 * containerd's shim, podman's conmon and CRI-O call most. ARGS is berth-runc's whole command line.
 *
 * What a container is comes from <root>/<id>/verbs, a record in the plan format the JVM wrote at
 * create (dev.berth.runtime.state.VerbsRecord: state fields, cgroup directories, hooks), plus what
 * the kernel says now: the init's pid (<root>/<id>/pid) alive and started after the creation time,
 * the exec fifo still there (created), the freezer (paused: v1 freezer.state, or v2 cgroup.freeze /
 * cgroup.events). The answers and messages are the JVM path's (dev.berth.runtime.ops.*), byte for
 * byte. Whatever is not certain here - another flag, a global flag other than --root/--log/
 * --log-format/--systemd-cgroup, an invalid id, no record or no pid file yet (a create under way or
 * killed), an unknown signal name, hooks the JVM must run, a cgroup that will not empty - is handed
 * to SCRIPT with BERTH_NO_FAST=1 before anything is changed (delete: after the kill, which the JVM
 * path repeats harmlessly), so the JVM decides and reports.
 */
#include "berth.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CGROUPS 32

static char **script_argv;

static void __attribute__((noreturn)) fallback(void)
{
  setenv("BERTH_NO_FAST", "1", 1);
  execv(script_argv[0], script_argv);
  fprintf(stderr, "berth-runc: exec %s: %s\n", script_argv[0], strerror(errno));
  _exit(127);
}

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  log_error_text(text);
  return 1;
}

enum status { S_CREATED, S_RUNNING, S_PAUSED, S_STOPPED };
static const char *const status_names[] = {"created", "running", "paused", "stopped"};

struct ctr {
  const char *id;
  char dir[4096];
  struct plan rec;
  const struct plan_record *st; /* T_VERBS_STATE */
  pid_t pid;
  long long created_ms;
  const char *cgroups[MAX_CGROUPS];
  int ncg;
  int freezer; /* 0 none, 1 v1 (freezer.state), 2 v2 (cgroup.freeze) */
  char freezer_dir[4096];
  bool poststart, poststop;
};

static void sleep_us(long us)
{
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_small(const char *path, char *buf, size_t len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, buf + got, len - 1 - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t) n;
    if (got == len - 1)
      break;
  }
  close(fd);
  buf[got] = 0;
  return (int) got;
}

/* "2026-12-05T12:30:28.123456789Z" (Java's Instant.toString) in ms; 0 (the epoch, as the JVM) if not that. */
static long long parse_instant(const char *s)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return 0;
  long long ms = 0;
  if (*p == '.') {
    int digits = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, digits++)
      if (digits < 3)
        ms = ms * 10 + (*p - '0');
    for (; digits < 3; digits++)
      ms *= 10;
  }
  if (strcmp(p, "Z") != 0)
    return 0;
  return (long long) timegm(&tm) * 1000 + ms;
}

static long long boot_ms(void)
{
  static long long cached = -1;
  if (cached >= 0)
    return cached;
  char buf[8192];
  cached = 0;
  if (read_small("/proc/stat", buf, sizeof buf) > 0) {
    char *b = strstr(buf, "\nbtime ");
    if (b)
      cached = strtoll(b + 7, NULL, 10) * 1000;
  }
  return cached;
}

/* Start time of pid in clock ticks, -1 if gone or a zombie (ProcStat.startTicks). */
static long long start_ticks(long pid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if (read_small(path, buf, sizeof buf) <= 0)
    return -1;
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
    return -1;
  int field = 2;
  for (; *p; p++)
    if (*p == ' ' && ++field == 22)
      return strtoll(p + 1, NULL, 10);
  return -1;
}

/* ProcStat.aliveSince: alive, not a zombie, and started no earlier than 2 s before notBefore. */
static bool alive_since(long pid, long long not_before_ms)
{
  long long t = start_ticks(pid);
  if (t < 0)
    return false;
  long hz = sysconf(_SC_CLK_TCK);
  long long started = boot_ms() + t * 1000 / (hz > 0 ? hz : 100);
  return started + 2000 >= not_before_ms;
}

/* Every pid in the cgroup.procs of every hierarchy, sorted, without duplicates; the count. */
static int cgroup_pids(const struct ctr *c, long *out, int max)
{
  int n = 0;
  static char buf[1 << 16];
  char path[4200];
  for (int i = 0; i < c->ncg; i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroups[i]);
    if (read_small(path, buf, sizeof buf) <= 0)
      continue;
    for (char *s = buf, *e; *s; s = e) {
      long v = strtol(s, &e, 10);
      if (e == s) {
        e++;
        continue;
      }
      int k = 0;
      while (k < n && out[k] < v)
        k++;
      if (k < n && out[k] == v)
        continue;
      if (n == max)
        break;
      memmove(out + k + 1, out + k, (size_t) (n - k) * sizeof *out);
      out[k] = v;
      n++;
    }
  }
  return n;
}

static bool frozen(const struct ctr *c)
{
  char path[4200], buf[4096];
  if (c->freezer == 1) {
    snprintf(path, sizeof path, "%s/freezer.state", c->freezer_dir);
    return read_small(path, buf, sizeof buf) > 0 && strncmp(buf, "FROZEN", 6) == 0;
  }
  if (c->freezer == 2) {
    snprintf(path, sizeof path, "%s/cgroup.events", c->freezer_dir);
    if (read_small(path, buf, sizeof buf) > 0) {
      char *f = strstr(buf, "frozen ");
      if (f && (f == buf || f[-1] == '\n'))
        return f[7] == '1';
    }
    snprintf(path, sizeof path, "%s/cgroup.freeze", c->freezer_dir);
    return read_small(path, buf, sizeof buf) > 0 && buf[0] == '1'; /* fake tree / old kernel, as the JVM */
  }
  return false;
}

/* The JVM's freezer state: FREEZING counts as neither (v1) */
static bool thawed(const struct ctr *c)
{
  char path[4200], buf[4096];
  if (c->freezer == 1) {
    snprintf(path, sizeof path, "%s/freezer.state", c->freezer_dir);
    return read_small(path, buf, sizeof buf) <= 0 || strncmp(buf, "THAWED", 6) == 0;
  }
  if (c->freezer == 2) {
    snprintf(path, sizeof path, "%s/cgroup.events", c->freezer_dir);
    if (read_small(path, buf, sizeof buf) > 0) {
      char *f = strstr(buf, "frozen ");
      if (f && (f == buf || f[-1] == '\n'))
        return f[7] == '0';
    }
    snprintf(path, sizeof path, "%s/cgroup.freeze", c->freezer_dir);
    return read_small(path, buf, sizeof buf) <= 0 || buf[0] != '1';
  }
  return true;
}

static int write_str(const char *path, const char *value)
{
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* O_TRUNC: for fake trees; cgroupfs ignores it */
  if (fd < 0)
    return -1;
  int r = write_all(fd, value, strlen(value));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int freezer_set(const struct ctr *c, bool freeze)
{
  char path[4200];
  if (c->freezer == 1) {
    snprintf(path, sizeof path, "%s/freezer.state", c->freezer_dir);
    long long deadline = now_ms() + 5000;
    for (int i = 0;; i++) {
      if (write_str(path, freeze ? "FROZEN" : "THAWED") < 0)
        return fail("cgroup: write %s: %s", path, strerror(errno));
      if (freeze ? frozen(c) : thawed(c))
        return 0;
      if (now_ms() > deadline) {
        if (freeze)
          write_str(path, "THAWED");
        return fail("cgroup: freezer.state: still %s after 5s%s: %s", freeze ? "FREEZING" : "not THAWED",
                    freeze ? ", thawed again" : "", c->freezer_dir);
      }
      sleep_us(i < 50 ? 100 : 1000);
    }
  }
  snprintf(path, sizeof path, "%s/cgroup.freeze", c->freezer_dir);
  if (write_str(path, freeze ? "1" : "0") < 0)
    return fail("cgroup: write %s: %s", path, strerror(errno));
  long long deadline = now_ms() + 5000;
  while (!(freeze ? frozen(c) : thawed(c))) {
    if (now_ms() > deadline)
      return fail("cgroup: cgroup.freeze: not %s after 5s: %s", freeze ? "FROZEN" : "THAWED", c->freezer_dir);
    sleep_us(1000);
  }
  return 0;
}

enum { FOUND = 0, NOT_FOUND = 1 };

/* Loads the container; NOT_FOUND if there is none; falls back for anything this file does not handle. */
static int load(struct ctr *c, const char *root, const char *id)
{
  memset(c, 0, sizeof *c);
  c->id = id;
  snprintf(c->dir, sizeof c->dir, "%s/%s", root, id);
  struct stat st;
  if (lstat(c->dir, &st) < 0) {
    if (errno == ENOENT)
      return NOT_FOUND;
    fallback();
  }
  if (!S_ISDIR(st.st_mode))
    fallback();
  char path[4200];
  snprintf(path, sizeof path, "%s/verbs", c->dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct berr err;
  if (fd < 0 || plan_read(fd, &c->rec, &err) < 0)
    fallback();
  close(fd);
  c->st = plan_find(&c->rec, T_VERBS_STATE);
  if (!c->st || c->st->nfields != 7 || strcmp(plan_str(c->st, 1), id) != 0)
    fallback();
  const struct plan_record *h = plan_find(&c->rec, T_VERBS_HOOKS);
  if (!h || h->nfields != 2)
    fallback();
  c->poststart = strcmp(plan_str(h, 0), "0") != 0;
  c->poststop = strcmp(plan_str(h, 1), "0") != 0;
  for (const struct plan_record *r = NULL; (r = plan_next(&c->rec, T_VERBS_CGROUP, r));) {
    if (c->ncg == MAX_CGROUPS || plan_str(r, 0)[0] != '/')
      fallback();
    c->cgroups[c->ncg++] = plan_str(r, 0);
  }
  /* the freezer: a v1 hierarchy's, else the unified one's (the JVM's choice) */
  for (int pass = 1; pass <= 2 && !c->freezer; pass++)
    for (int i = 0; i < c->ncg && !c->freezer; i++) {
      snprintf(path, sizeof path, "%s/%s", c->cgroups[i], pass == 1 ? "freezer.state" : "cgroup.freeze");
      if (access(path, F_OK) == 0) {
        c->freezer = pass;
        snprintf(c->freezer_dir, sizeof c->freezer_dir, "%s", c->cgroups[i]);
      }
    }
  c->created_ms = parse_instant(plan_str(c->st, 4));
  /* No pid file: a create under way, or killed half-way; the JVM tells those apart. */
  char buf[64];
  snprintf(path, sizeof path, "%s/pid", c->dir);
  if (read_small(path, buf, sizeof buf) <= 0)
    fallback();
  char *end;
  long pid = strtol(buf, &end, 10);
  if (pid <= 0 || (*end && *end != ' ' && *end != '\n'))
    fallback();
  c->pid = (pid_t) pid;
  return FOUND;
}

/* Lifecycle.status for a container with a pid file. */
static enum status status_of(const struct ctr *c)
{
  if (!alive_since(c->pid, c->created_ms))
    return S_STOPPED;
  char path[4200];
  struct stat st;
  snprintf(path, sizeof path, "%s/exec.fifo", c->dir);
  enum status s = lstat(path, &st) == 0 ? S_CREATED : S_RUNNING;
  return frozen(c) ? S_PAUSED : s;
}

/* Monitor and keeper records ("<pid> <start ticks>" lines), as Container.monitors(). */
static int read_procs(const struct ctr *c, long long (*out)[2], int max)
{
  int n = 0;
  const char *names[] = {"keeper", "monitor"};
  for (int k = 0; k < 2; k++) {
    char path[4200], buf[1024];
    snprintf(path, sizeof path, "%s/%s", c->dir, names[k]);
    if (read_small(path, buf, sizeof buf) <= 0)
      continue;
    for (char *line = strtok(buf, "\n"); line && n < max; line = strtok(NULL, "\n")) {
      long long pid, ticks;
      if (sscanf(line, "%lld %lld", &pid, &ticks) == 2) {
        out[n][0] = pid;
        out[n][1] = ticks;
        n++;
      }
    }
  }
  return n;
}

static bool procs_alive(long long (*p)[2], int n)
{
  for (int i = 0; i < n; i++)
    if (p[i][1] >= 0 && start_ticks(p[i][0]) == p[i][1])
      return true;
  return false;
}

static bool wait_procs_gone(long long (*p)[2], int n, long ms)
{
  long long deadline = now_ms() + ms;
  for (int i = 0;; i++) {
    if (!procs_alive(p, n))
      return true;
    if (now_ms() > deadline)
      return false;
    sleep_us(i < 50 ? 200 : 2000);
  }
}

/* Container.exitStatus; NULL when there is none to report. */
static const char *exit_status(const struct ctr *c, char *buf, size_t len)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/exit", c->dir);
  if (read_small(path, buf, len) >= 0) {
    char *s = buf, *e = buf + strlen(buf);
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
      s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
      *--e = 0;
    return s;
  }
  if (strcmp(plan_str(c->st, 6), "1") != 0)
    return NULL;
  long long procs[16][2];
  int n = read_procs(c, procs, 16);
  if (n == 0 || procs_alive(procs, n))
    return NULL;
  if (read_small(path, buf, len) >= 0)
    return exit_status(c, buf, len);
  return alive_since(c->pid, c->created_ms) ? NULL : "unknown (the monitor was killed before the container ended)";
}

/* Json.quote of dev.berth.spec.Json */
static void put_json(FILE *f, const char *s)
{
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* StateOp.json through Json.pretty, then println */
static int verb_state(struct ctr *c)
{
  enum status s = status_of(c);
  char ebuf[512];
  const char *exit = exit_status(c, ebuf, sizeof ebuf);
  FILE *f = stdout;
  fputs("{\n  \"ociVersion\": ", f);
  put_json(f, plan_str(c->st, 0));
  fputs(",\n  \"id\": ", f);
  put_json(f, c->id);
  fprintf(f, ",\n  \"pid\": %ld,\n  \"status\": \"%s\"", s == S_STOPPED ? 0L : (long) c->pid, status_names[s]);
  const char *names[] = {"bundle", "rootfs", "created", "owner"};
  for (int i = 0; i < 4; i++) {
    fprintf(f, ",\n  \"%s\": ", names[i]);
    put_json(f, plan_str(c->st, (unsigned) i + 2));
  }
  if (exit) {
    fputs(",\n  \"exitStatus\": ", f);
    put_json(f, exit);
  }
  fputs(",\n  \"annotations\": ", f);
  const struct plan_record *a = plan_next(&c->rec, T_VERBS_ANNOTATION, NULL);
  if (!a) {
    fputs("{}", f);
  } else {
    fputs("{", f);
    for (bool first = true; a; a = plan_next(&c->rec, T_VERBS_ANNOTATION, a), first = false) {
      fputs(first ? "\n    " : ",\n    ", f);
      put_json(f, plan_str(a, 0));
      fputs(": ", f);
      put_json(f, plan_str(a, 1));
    }
    fputs("\n  }", f);
  }
  fputs("\n}\n", f);
  return fflush(f) == 0 ? 0 : 1;
}

/* Signals.parse for Linux x86_64; -1 for what the JVM must report. */
static int parse_signal(const char *arg)
{
  static const char *const names[] = {NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
                                      "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT",
                                      "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
                                      "WINCH", "IO", "PWR", "SYS"};
  char s[32];
  size_t n = strlen(arg);
  if (n == 0 || n >= sizeof s)
    return -1;
  for (size_t i = 0; i <= n; i++)
    s[i] = (char) (arg[i] >= 'a' && arg[i] <= 'z' ? arg[i] - 32 : arg[i]);
  if (strspn(s, "0123456789") == n) {
    long v = n < 4 ? strtol(s, NULL, 10) : 0;
    return v >= 1 && v <= 64 && (v <= 31 || v >= 34) ? (int) v : -1;
  }
  const char *p = strncmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (int i = 1; i < 32; i++)
    if (strcmp(p, names[i]) == 0)
      return i;
  if (strcmp(p, "IOT") == 0)
    return 6;
  if (strcmp(p, "CLD") == 0)
    return 17;
  if (strcmp(p, "POLL") == 0)
    return 29;
  return -1; /* RTMIN+n and the rest: the JVM */
}

static int verb_kill(struct ctr *c, int sig, bool all)
{
  enum status s = status_of(c);
  if (all) {
    long pids[4096];
    int n = cgroup_pids(c, pids, 4096);
    for (int i = 0; i < n; i++)
      kill((pid_t) pids[i], sig);
    if (s == S_PAUSED && (sig == SIGKILL || sig == SIGTERM) && c->freezer)
      return freezer_set(c, false);
    return 0;
  }
  if (s == S_STOPPED)
    return fail("cannot kill container \"%s\": it is stopped", c->id);
  if (kill(c->pid, sig) < 0 && errno != ESRCH)
    return fail("kill %d: %s", (int) c->pid, strerror(errno));
  if (s == S_PAUSED && sig == SIGKILL && c->freezer)
    return freezer_set(c, false);
  return 0;
}

/* Removes dir and everything in it, never following symlinks. */
static int remove_tree(int parent, const char *name)
{
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    if (errno == ENOTDIR || errno == ELOOP)
      return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    return -1;
  }
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  int r = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (e->d_type == DT_DIR) {
      if (remove_tree(dirfd(d), e->d_name) < 0)
        r = -1;
    } else if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
      if (errno != EISDIR || remove_tree(dirfd(d), e->d_name) < 0)
        r = -1;
    }
  }
  closedir(d);
  if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    r = -1;
  return r;
}

/* rmdir of one cgroup directory; what is left in it (no pid namespace) is killed first. */
static int remove_cgroup(struct ctr *c, const char *dir)
{
  for (int i = 0; i < 400; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return -1;
    long pids[4096];
    struct ctr one = *c;
    one.cgroups[0] = dir;
    one.ncg = 1;
    int n = cgroup_pids(&one, pids, 4096);
    for (int k = 0; k < n; k++)
      kill((pid_t) pids[k], SIGKILL);
    if (n && c->freezer && !thawed(c)) {
      char path[4200];
      snprintf(path, sizeof path, "%s/%s", c->freezer_dir, c->freezer == 1 ? "freezer.state" : "cgroup.freeze");
      write_str(path, c->freezer == 1 ? "THAWED" : "0");
    }
    sleep_us(i < 50 ? 200 : 5000);
  }
  return -1;
}

static int verb_delete(struct ctr *c, bool force)
{
  enum status s = status_of(c);
  if (s != S_STOPPED && !force)
    return fail("cannot delete container \"%s\": it is %s (stop it first, or use --force)", c->id, status_names[s]);
  if (c->poststop)
    fallback(); /* the JVM runs them */
  if (s != S_STOPPED) {
    kill(c->pid, SIGKILL);
    if (s == S_PAUSED && c->freezer)
      freezer_set(c, false); /* so that the init can die */
    for (int i = 0; i < 2000 && start_ticks(c->pid) >= 0; i++)
      sleep_us(1000);
  }
  /* the monitor records the end once the init is gone: wait for it and the keeper, as the JVM */
  long long procs[16][2];
  int n = read_procs(c, procs, 16);
  if (!wait_procs_gone(procs, n, 2000)) {
    for (int i = 0; i < n; i++)
      if (start_ticks(procs[i][0]) == procs[i][1])
        kill((pid_t) procs[i][0], SIGKILL);
    wait_procs_gone(procs, n, 5000);
  }
  /* the freezer's hierarchy last, so that it is there to thaw what is left */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < c->ncg; i++) {
      bool fz = c->freezer && strcmp(c->cgroups[i], c->freezer_dir) == 0;
      if (fz != (pass == 1))
        continue;
      if (remove_cgroup(c, c->cgroups[i]) < 0)
        fallback(); /* the JVM tries harder and reports */
    }
  /* the default parent goes with its last container (Delete.pruneParents) */
  const char *parent = getenv("BERTH_CGROUP_PARENT");
  if (!parent || !*parent)
    parent = "berth";
  for (int i = 0; i < c->ncg; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s", c->cgroups[i]);
    char *slash = strrchr(p, '/');
    if (!slash || slash == p)
      continue;
    *slash = 0;
    char *base = strrchr(p, '/');
    if (base && strcmp(base + 1, parent) == 0)
      rmdir(p);
  }
  char *slash = strrchr(c->dir, '/');
  char rootdir[4096];
  snprintf(rootdir, sizeof rootdir, "%.*s", (int) (slash - c->dir), c->dir);
  int rfd = open(*rootdir ? rootdir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int pass = 0; rfd >= 0; pass++) {
    if (remove_tree(rfd, slash + 1) == 0)
      break;
    if (pass >= 100) {
      int e = errno;
      close(rfd);
      return fail("cannot remove %s: %s", c->dir, strerror(e));
    }
    sleep_us(2000);
  }
  if (rfd < 0)
    return fail("cannot remove %s: %s", c->dir, strerror(errno));
  close(rfd);
  return 0;
}

/* Start.start: release the init from the exec fifo, read on to end of file (its execve). */
static int verb_start(struct ctr *c)
{
  enum status s = status_of(c);
  if (s != S_CREATED)
    return fail("cannot start container \"%s\": it is %s", c->id, status_names[s]);
  if (c->poststart)
    fallback(); /* the JVM runs them after the release */
  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/exec.fifo", c->dir);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fail("cannot start container \"%s\": it is stopped", c->id);
  int pidfd = (int) syscall(SYS_pidfd_open, c->pid, 0);
  long long deadline = now_ms() + 10000;
  char b = 0;
  ssize_t n = 0;
  bool died = false;
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(p, pidfd >= 0 ? 2 : 1, 5) < 0 && errno != EINTR)
      break;
    n = read(fd, &b, 1);
    if (n == 1 || (n < 0 && errno != EAGAIN && errno != EINTR))
      break;
    if ((pidfd >= 0 && p[1].revents) || (pidfd < 0 && !alive_since(c->pid, 0))) {
      n = read(fd, &b, 1); /* its byte may have come with its death */
      died = n != 1;
      break;
    }
    if (now_ms() > deadline)
      break;
    if (n == 0 && (p[0].revents & POLLHUP))
      sleep_us(2000); /* no writer at the moment */
  }
  if (n != 1 || b != '0') {
    close(fd);
    if (pidfd >= 0)
      close(pidfd);
    return fail("container \"%s\" did not start: its init %s", c->id,
                died || !alive_since(c->pid, 0) ? "has exited" : "did not answer within 10s");
  }
  /* on to end of file: the write end is close-on-exec; text before that is the init's error */
  char text[4097];
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
  if (unlink(fifo) < 0 && errno != ENOENT)
    return fail("cannot remove %s: %s", fifo, strerror(errno));
  char *t = text, *e = text + len;
  while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
    t++;
  while (e > t && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
    *--e = 0;
  return *t ? fail("%s", t) : 0;
}

static int verb_freeze(struct ctr *c, bool pause)
{
  enum status s = status_of(c);
  if (pause ? (s != S_RUNNING && s != S_CREATED) : s != S_PAUSED)
    return fail("cannot %s container \"%s\": it is %s", pause ? "pause" : "resume", c->id, status_names[s]);
  if (!c->freezer)
    fallback(); /* the JVM says there is none */
  return freezer_set(c, pause);
}

static int verb_ps(struct ctr *c)
{
  enum status s = status_of(c);
  if (s == S_STOPPED)
    return fail("cannot list processes of container \"%s\": it is stopped", c->id);
  long pids[4096];
  int n = cgroup_pids(c, pids, 4096);
  putchar('[');
  for (int i = 0; i < n; i++)
    printf(i ? ", %ld" : "%ld", pids[i]);
  puts("]");
  return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * exec, warm: `exec --process FILE [--detach] [--pid-file F] [--console-socket S] ID` of a process
 * the JVM already prepared for this container (a Kubernetes exec probe, run every few seconds with
 * the same process.json). The JVM leaves the exec plan as a template in <state dir>/exec-cache/
 * <key>.plan, the pid file and console socket paths as placeholders; the key (computed here only,
 * handed to the JVM on a miss in $BERTH_EXEC_KEY) digests the root, the id, the init's pid and the
 * creation time, the flags given, --log and --log-format, and process.json's bytes, which the
 * template also holds and which are compared before it is used. The launcher then runs the plan as
 * the JVM would have handed it over (--plan-fd). The templates go with the container.
 */
#define PID_FILE_MARK "/@@BERTH-PID-FILE@@"
#define CONSOLE_MARK "/@@BERTH-CONSOLE-SOCKET@@"

static void fnv(uint64_t h[2], const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h[0] = (h[0] ^ p[i]) * 0x100000001b3ULL;
    h[1] = (h[1] ^ p[i]) * 0x100000001b3ULL;
  }
}

static void fnv_str(uint64_t h[2], const char *s)
{
  fnv(h, s, strlen(s) + 1);
}

static char *slurp_path(const char *path, size_t max, size_t *len, bool trusted)
{
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t) st.st_size <= max &&
      (!trusted || (st.st_uid == geteuid() && !(st.st_mode & 022))) && (buf = malloc((size_t) st.st_size + 1))) {
    size_t got = 0;
    while (got < (size_t) st.st_size) {
      ssize_t r = read(fd, buf + got, (size_t) st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += (size_t) r;
    }
    if (got != (size_t) st.st_size) {
      free(buf);
      buf = NULL;
    } else {
      *len = got;
    }
  }
  close(fd);
  return buf;
}

static void put_le(char **o, uint64_t v, int n)
{
  for (int i = 0; i < n; i++)
    *(*o)++ = (char) ((v >> (8 * i)) & 0xff);
}

/* The template with its placeholders replaced, in a memfd; -1 if it is not for this process.json. */
static int exec_instantiate(const struct plan *t, const char *proc, size_t plen, const char *id, const char *pid_file,
                            const char *console)
{
  const struct plan_record *pr = plan_find(t, T_EXEC_PROCESS);
  const char *action = plan_get(t, T_ACTION), *tid = plan_get(t, T_ID);
  if (!pr || pr->nfields != 1 || pr->fields[0].len != plen || memcmp(pr->fields[0].data, proc, plen) != 0 ||
      !action || strcmp(action, "exec") != 0 || !tid || strcmp(tid, id) != 0)
    return -1;
  if ((plan_find(t, T_PID_FILE) != NULL) != (pid_file != NULL) ||
      (plan_find(t, T_CONSOLE_SOCKET) != NULL) != (console != NULL))
    return -1;
  size_t cap = 12 + strlen(pid_file ? pid_file : "") + strlen(console ? console : "");
  for (size_t r = 0; r < t->nrecords; r++) {
    cap += 4;
    for (uint16_t f = 0; f < t->records[r].nfields; f++)
      cap += 5 + t->records[r].fields[f].len;
  }
  char *buf = malloc(cap), *o = buf;
  if (!buf)
    return -1;
  memcpy(o, PLAN_MAGIC, 8);
  o += 8;
  put_le(&o, t->nrecords, 4);
  for (size_t r = 0; r < t->nrecords; r++) {
    const struct plan_record *rec = &t->records[r];
    put_le(&o, rec->tag, 2);
    put_le(&o, rec->nfields, 2);
    for (uint16_t f = 0; f < rec->nfields; f++) {
      const char *d = rec->fields[f].data;
      size_t l = rec->fields[f].len;
      if (rec->tag == T_PID_FILE && f == 0 && strcmp(d, PID_FILE_MARK) == 0)
        d = pid_file, l = strlen(pid_file);
      else if (rec->tag == T_CONSOLE_SOCKET && f == 0 && strcmp(d, CONSOLE_MARK) == 0)
        d = console, l = strlen(console);
      put_le(&o, l, 4);
      memcpy(o, d, l);
      o += l;
      *o++ = 0;
    }
  }
  int fd = memfd_create("berth-plan", 0);
  if (fd < 0 || write_all(fd, buf, (size_t) (o - buf)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
    free(buf);
    return -1;
  }
  free(buf);
  return fd;
}

static int verb_exec(const char *root, const char *id, const char *process, bool detach, const char *pid_file,
                     const char *console, const char *log, const char *log_format)
{
  if (!process || process[0] != '/' || (pid_file && pid_file[0] != '/') || (console && console[0] != '/') ||
      (log && log[0] != '/'))
    fallback(); /* the JVM resolves relative paths */
  struct ctr c;
  if (load(&c, root, id) == NOT_FOUND)
    fallback();
  enum status s = status_of(&c);
  if (s != S_RUNNING && s != S_CREATED)
    fallback(); /* the JVM says why not */
  size_t plen = 0;
  char *proc = slurp_path(process, 1u << 20, &plen, false);
  if (!proc)
    fallback();
  uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%ld", (long) c.pid);
  fnv_str(h, "berth-exec-v1");
  fnv_str(h, root);
  fnv_str(h, id);
  fnv_str(h, pidbuf);
  fnv_str(h, plan_str(c.st, 4));
  fnv_str(h, detach ? "1" : "0");
  fnv_str(h, pid_file ? "1" : "0");
  fnv_str(h, console ? "1" : "0");
  fnv_str(h, log ? log : "");
  fnv_str(h, log ? log_format : "");
  fnv(h, proc, plen);
  char key[33], dir[4200], path[4300];
  snprintf(key, sizeof key, "%016llx%016llx", (unsigned long long) h[0], (unsigned long long) h[1]);
  setenv("BERTH_EXEC_KEY", key, 1);
  snprintf(dir, sizeof dir, "%s/exec-cache", c.dir);
  struct stat st;
  if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
    fallback();
  snprintf(path, sizeof path, "%s/%s.plan", dir, key);
  size_t tlen = 0;
  char *tbytes = slurp_path(path, 4u << 20, &tlen, true);
  if (!tbytes)
    fallback();
  /* plan_read takes an fd: the bytes go through a memfd */
  int tfd = memfd_create("berth-exec-template", MFD_CLOEXEC);
  struct plan t;
  struct berr err;
  if (tfd < 0 || write_all(tfd, tbytes, tlen) < 0 || plan_read(tfd, &t, &err) < 0) {
    unlink(path);
    fallback();
  }
  close(tfd);
  free(tbytes);
  int fd = exec_instantiate(&t, proc, plen, id, pid_file, console);
  if (fd < 0) {
    unlink(path); /* not for this command after all: the JVM stores a right one */
    fallback();
  }
  unsetenv("BERTH_EXEC_KEY");
  char fdbuf[16];
  snprintf(fdbuf, sizeof fdbuf, "%d", fd);
  char *const args[] = {(char *) "berth-launch", (char *) "--plan-fd", fdbuf, NULL};
  execv("/proc/self/exe", args);
  return fail("exec /proc/self/exe: %s", strerror(errno));
}

static bool valid_id(const char *id)
{
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || id[0] == '.')
    return false;
  return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") == n;
}

/* "--name value" or "--name=value" (also with one dash, as urfave/cli); NULL if args[*i] is not it. */
static const char *flag_value(char **args, int n, int *i, const char *name)
{
  const char *a = args[*i];
  if (a[0] == '-' && a[1] != '-')
    a++;
  else if (a[0] == '-')
    a += 2;
  size_t l = strlen(name);
  if (strncmp(a, name, l) != 0)
    return NULL;
  if (a[l] == '=')
    return a + l + 1;
  if (a[l] == 0 && *i + 1 < n)
    return args[++*i];
  if (a[l] == 0)
    fallback(); /* a missing value: the JVM says so */
  return NULL;
}

/* A boolean flag: 1 set, 0 "=false", -1 not this flag. */
static int flag_bool(const char *arg, const char *name, const char *alias)
{
  const char *a = arg;
  if (alias && strcmp(a, alias) == 0)
    return 1;
  if (a[0] == '-' && a[1] != '-')
    a++;
  else if (a[0] == '-')
    a += 2;
  size_t l = strlen(name);
  if (strncmp(a, name, l) != 0)
    return -1;
  if (a[l] == 0 || strcmp(a + l, "=true") == 0)
    return 1;
  if (strcmp(a + l, "=false") == 0)
    return 0;
  return -1;
}

int verbs_main(int argc, char **argv)
{
  if (argc < 2)
    return fail("usage: berth-launch --verb SCRIPT ARGS...");
  script_argv = argv;
  char **args = argv + 1;
  int n = argc - 1, i = 0;
  const char *root = "/run/berth", *log = NULL, *log_format = "text";
  for (; i < n && args[i][0] == '-'; i++) {
    const char *v;
    if ((v = flag_value(args, n, &i, "root")))
      root = v;
    else if ((v = flag_value(args, n, &i, "log-format")))
      log_format = v;
    else if ((v = flag_value(args, n, &i, "log")))
      log = v;
    else if (flag_bool(args[i], "systemd-cgroup", NULL) >= 0)
      continue;
    else if ((v = flag_value(args, n, &i, "rootless")))
      continue;
    else
      fallback();
  }
  if (i == n || !*root)
    fallback();
  const char *verb = args[i++];
  bool all = false, force = false, json = false, detach = false;
  const char *process = NULL, *pid_file = NULL, *console = NULL;
  const char *pos[3];
  int npos = 0;
  bool flags_done = false;
  for (; i < n; i++) {
    const char *a = args[i];
    if (!flags_done && strcmp(a, "--") == 0) {
      flags_done = true;
      continue;
    }
    if (!flags_done && a[0] == '-' && a[1]) {
      int b;
      const char *v;
      if (strcmp(verb, "kill") == 0 && (b = flag_bool(a, "all", "-a")) >= 0)
        all = b;
      else if (strcmp(verb, "delete") == 0 && (b = flag_bool(a, "force", "-f")) >= 0)
        force = b;
      else if (strcmp(verb, "exec") == 0 && (b = flag_bool(a, "detach", "-d")) >= 0)
        detach = b;
      else if (strcmp(verb, "exec") == 0 && strcmp(a, "-p") == 0 && i + 1 < n)
        process = args[++i];
      else if (strcmp(verb, "exec") == 0 && (v = flag_value(args, n, &i, "process")))
        process = v;
      else if (strcmp(verb, "exec") == 0 && (v = flag_value(args, n, &i, "pid-file")))
        pid_file = v;
      else if (strcmp(verb, "exec") == 0 && (v = flag_value(args, n, &i, "console-socket")))
        console = v;
      else if (strcmp(verb, "ps") == 0 && strcmp(a, "-f") == 0 && i + 1 < n)
        json = strcmp(args[++i], "json") == 0 ? true : (fallback(), false);
      else if (strcmp(verb, "ps") == 0 && (v = flag_value(args, n, &i, "format")))
        json = strcmp(v, "json") == 0 ? true : (fallback(), false);
      else
        fallback();
      continue;
    }
    if (npos == 3)
      fallback();
    pos[npos++] = a;
    if (strcmp(verb, "exec") == 0)
      flags_done = true; /* runc: exec's flags end at the id; what follows is the command */
  }
  int want = strcmp(verb, "kill") == 0 ? 2 : 1;
  if (npos < 1 || npos > want || (strcmp(verb, "ps") == 0 && !json) || !valid_id(pos[0]))
    fallback();
  int sig = SIGTERM;
  if (strcmp(verb, "kill") == 0 && npos == 2 && (sig = parse_signal(pos[1])) < 0)
    fallback();
  if (strcmp(verb, "exec") == 0) {
    if (npos != 1)
      fallback();
    return verb_exec(root, pos[0], process, detach, pid_file, console, log, log_format);
  }
  if (strcmp(verb, "state") && strcmp(verb, "kill") && strcmp(verb, "delete") && strcmp(verb, "start") &&
      strcmp(verb, "pause") && strcmp(verb, "resume") && strcmp(verb, "ps"))
    fallback();
  if (log)
    log_open(log, strcmp(log_format, "json") == 0);
  signal(SIGPIPE, SIG_IGN);

  struct ctr c;
  if (load(&c, root, pos[0]) == NOT_FOUND) {
    if (strcmp(verb, "delete") == 0 && force)
      return 0; /* as runc: deleting an id that is gone, with --force, succeeds */
    return fail("container \"%s\" does not exist", pos[0]);
  }
  if (strcmp(verb, "state") == 0)
    return verb_state(&c);
  if (strcmp(verb, "kill") == 0)
    return verb_kill(&c, sig, all);
  if (strcmp(verb, "delete") == 0)
    return verb_delete(&c, force);
  if (strcmp(verb, "start") == 0)
    return verb_start(&c);
  if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0)
    return verb_freeze(&c, strcmp(verb, "pause") == 0);
  return verb_ps(&c);
}
