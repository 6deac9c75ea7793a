/*
 * update.c - `berth-launch --update SCRIPT ARGS...`: runc's `update` for the common flags (memory,
 * swap, reservation, cpu shares/quota/period, cpuset, pids; on v2 also blkio weight), done here
 * without a JVM. The container's hierarchies come from its verbs record (T_VERBS_CONTROLLERS: each
 * hierarchy's controllers and the container's directory there, written by the JVM at create); this
 * file reads no mountinfo and no JSON. A controller bound to a v1 hierarchy is written there; one
 * that is not, when the container has a cgroup2 directory, is written there with the JVM's (and
 * runc's) v2 conversions: memory.swap.max = memory+swap - memory, cpu.weight from shares,
 * cpu.max "quota period", io.weight from the blkio weight. Whatever it does not handle for
 * certain - another flag or form, a value the JVM would check first (a v2 memory limit below the
 * usage, a shares or period out of range), a container that is not running, a write the kernel
 * refuses (after restoring every old value it read before writing anything) - it hands to SCRIPT
 * with BERTH_NO_FAST=1, so the JVM path decides and reports.
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
  const char *file;       /* v1 file; NULL: handled on v2 only */
  int size;               /* value with k/m/g units, -1 allowed */
  const char *value;      /* parsed, as written */
  char buf[32];
  int v2;                 /* its controller is not bound to v1: the unified hierarchy has it */
};

/* In v1 write order (the order of this table); v2 has its own (v2_plan). */
enum { K_MEM, K_SWAP, K_RES, K_SHARES, K_PERIOD, K_QUOTA, K_CPUS, K_MEMS, K_PIDS, K_WEIGHT };
static struct knob knobs[] = {
  [K_MEM] = {"--memory", "memory", "memory.limit_in_bytes", 1, NULL, "", 0},
  [K_SWAP] = {"--memory-swap", "memory", "memory.memsw.limit_in_bytes", 1, NULL, "", 0},
  [K_RES] = {"--memory-reservation", "memory", "memory.soft_limit_in_bytes", 1, NULL, "", 0},
  [K_SHARES] = {"--cpu-shares", "cpu", "cpu.shares", 0, NULL, "", 0},
  [K_PERIOD] = {"--cpu-period", "cpu", "cpu.cfs_period_us", 0, NULL, "", 0},
  [K_QUOTA] = {"--cpu-quota", "cpu", "cpu.cfs_quota_us", 0, NULL, "", 0},
  [K_CPUS] = {"--cpuset-cpus", "cpuset", "cpuset.cpus", 2, NULL, "", 0},
  [K_MEMS] = {"--cpuset-mems", "cpuset", "cpuset.mems", 2, NULL, "", 0},
  [K_PIDS] = {"--pids-limit", "pids", "pids.max", 0, NULL, "", 0},
  [K_WEIGHT] = {"--blkio-weight", "blkio", NULL, 0, NULL, "", 0},
};
#define NKNOBS (sizeof knobs / sizeof knobs[0])

/* One control-file write: the value read before anything was written is restored on any refusal. */
struct entry {
  char file[4096];
  char old[512];
  char value[64];
};
static struct entry plan[NKNOBS];
static size_t np;

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

/* The container's hierarchies, from its verbs record (T_VERBS_CONTROLLERS): the JVM found them
   with berth-cgroups' CgroupLayout, the one reader of mountinfo; nothing here parses mountinfo. */
#define MAX_HIER 32
static struct {
  const char *controllers; /* "cpu,cpuacct", "name=systemd"; "" = the cgroup2 hierarchy */
  const char *dir;         /* the container's directory there, absolute */
} hier[MAX_HIER];
static int nhier;

/* The container's directory in the v1 hierarchy holding {@code controller}, or (controller NULL)
   in the cgroup2 hierarchy; NULL if it has none. */
static const char *cgroup_dir(const char *controller)
{
  for (int h = 0; h < nhier; h++) {
    const char *c = hier[h].controllers;
    if (!controller) {
      if (!*c)
        return hier[h].dir;
      continue;
    }
    size_t len = strlen(controller);
    while (*c) {
      size_t n = strcspn(c, ",");
      if (n == len && strncmp(c, controller, n) == 0)
        return hier[h].dir;
      c += n + (c[n] == ',');
    }
  }
  return NULL;
}

/* The first line of a small file; -1 if it cannot be read or does not fit. */
static int read_small(const char *path, char *buf, size_t len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0 || (size_t) n == len - 1)
    return -1;
  buf[n] = 0;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

/* Adds "dir/file" := value to the plan, reading the value to restore; falls back if unreadable. */
static void add(const char *dir, const char *file, const char *value)
{
  if (np >= NKNOBS)
    fallback();
  struct entry *e = &plan[np];
  snprintf(e->file, sizeof e->file, "%s/%s", dir, file);
  snprintf(e->value, sizeof e->value, "%s", value);
  if (read_small(e->file, e->old, sizeof e->old) < 0)
    fallback();
  np++;
}

static long long num(const char *s)
{
  return strtoll(s, NULL, 10);
}

/*
 * The v2 knobs, in the JVM's order (cpuset, memory, cpu, io, pids) and with its conversions
 * (dev.berth.cgroups.v2.V2Memory, V2Cpu, V2Io; runc's for swap and shares). Anything the JVM
 * would check against the live cgroup or refuse as out of range goes back to it.
 */
static void v2_plan(const char *dir)
{
  char v[64], cur[512], path[4096];
  if (knobs[K_CPUS].v2)
    add(dir, "cpuset.cpus", knobs[K_CPUS].value);
  if (knobs[K_MEMS].v2)
    add(dir, "cpuset.mems", knobs[K_MEMS].value);
  const char *mem = knobs[K_MEM].v2 ? knobs[K_MEM].value : NULL;
  if (knobs[K_SWAP].v2) {
    /* OCI swap is memory+swap; memory.swap.max is swap alone (none without swap accounting, as the JVM) */
    snprintf(path, sizeof path, "%s/memory.swap.max", dir);
    if (access(path, F_OK) == 0) {
      const char *swap = knobs[K_SWAP].value;
      if (strcmp(swap, "-1") == 0) {
        snprintf(v, sizeof v, "max");
      } else {
        const char *limit = mem;
        if (!limit) {
          snprintf(path, sizeof path, "%s/memory.max", dir);
          if (read_small(path, cur, sizeof cur) < 0)
            fallback();
          limit = cur;
        }
        if (strcmp(limit, "-1") == 0 || strcmp(limit, "max") == 0 || num(swap) < num(limit))
          fallback(); /* the JVM reports it */
        snprintf(v, sizeof v, "%lld", num(swap) - num(limit));
      }
      add(dir, "memory.swap.max", v);
    }
  }
  if (mem) {
    if (strcmp(mem, "-1") != 0) {
      /* v2 does not refuse a limit below the usage: it reclaims, then OOM-kills. The JVM decides. */
      snprintf(path, sizeof path, "%s/memory.current", dir);
      if (read_small(path, cur, sizeof cur) == 0 && num(cur) > num(mem))
        fallback();
    }
    add(dir, "memory.max", strcmp(mem, "-1") == 0 ? "max" : mem);
  }
  if (knobs[K_RES].v2)
    add(dir, "memory.low", strcmp(knobs[K_RES].value, "-1") == 0 ? "max" : knobs[K_RES].value);
  if (knobs[K_SHARES].v2) {
    long long shares = num(knobs[K_SHARES].value);
    if (shares < 2 || shares > 262144)
      fallback();
    snprintf(v, sizeof v, "%lld", 1 + ((shares - 2) * 9999) / 262142);
    add(dir, "cpu.weight", v);
  }
  if (knobs[K_QUOTA].v2 || knobs[K_PERIOD].v2) {
    /* one file, "quota period": the half not given stays as it is */
    char q[32] = "max", p[32] = "100000";
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (read_small(path, cur, sizeof cur) < 0 || sscanf(cur, "%31s %31s", q, p) < 1)
      fallback();
    if (knobs[K_QUOTA].v2) {
      const char *quota = knobs[K_QUOTA].value;
      if (strcmp(quota, "-1") != 0 && num(quota) < 1000)
        fallback();
      snprintf(q, sizeof q, "%s", strcmp(quota, "-1") == 0 ? "max" : quota);
    }
    if (knobs[K_PERIOD].v2) {
      long long period = num(knobs[K_PERIOD].value);
      if (period < 1000 || period > 1000000)
        fallback();
      snprintf(p, sizeof p, "%lld", period);
    }
    snprintf(v, sizeof v, "%s %s", q, p);
    add(dir, "cpu.max", v);
  }
  if (knobs[K_WEIGHT].v2 && num(knobs[K_WEIGHT].value) != 0) { /* 0: not set */
    long long w = num(knobs[K_WEIGHT].value);
    if (w < 10 || w > 1000)
      fallback();
    snprintf(path, sizeof path, "%s/io.bfq.weight", dir);
    if (access(path, F_OK) == 0) {
      snprintf(v, sizeof v, "%lld", w);
      add(dir, "io.bfq.weight", v);
    } else {
      snprintf(v, sizeof v, "default %lld", 1 + (w - 10) * 9999 / 990);
      add(dir, "io.weight", v);
    }
  }
  if (knobs[K_PIDS].v2)
    add(dir, "pids.max", knobs[K_PIDS].value);
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

  /* A running container of this root, and its cgroup directories. */
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
  /* The container's cgroup directories, as the JVM resolved them at create: <root>/<id>/verbs
   * (dev.berth.runtime.state.VerbsRecord). A record without T_VERBS_CONTROLLERS (a container made
   * by an older berth) or with a malformed one: the JVM resolves them. */
  snprintf(path, sizeof path, "%s/%s/verbs", root, id);
  int vfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct plan rec;
  struct berr err;
  if (vfd < 0 || plan_read(vfd, &rec, &err) < 0)
    fallback();
  close(vfd);
  const struct plan_record *st = plan_find(&rec, T_VERBS_STATE);
  if (!st || strcmp(plan_str(st, 1), id) != 0)
    fallback();
  for (const struct plan_record *r = NULL; (r = plan_next(&rec, T_VERBS_CONTROLLERS, r));) {
    const char *d = plan_str(r, 1);
    if (r->nfields != 2 || nhier == MAX_HIER || d[0] != '/' || strstr(d, "/..") || strlen(d) > 2048)
      fallback();
    hier[nhier].controllers = plan_str(r, 0);
    hier[nhier++].dir = d;
  }
  if (nhier == 0)
    fallback();

  /* Old values first; then write in an order the kernel accepts; restore all on any refusal. */
  int any_v2 = 0;
  for (size_t j = 0; j < NKNOBS; j++) {
    if (!knobs[j].value)
      continue;
    const char *dir = cgroup_dir(knobs[j].controller);
    if (!dir) {
      knobs[j].v2 = any_v2 = 1; /* not bound to v1: the unified hierarchy's, if there is one */
      continue;
    }
    if (!knobs[j].file)
      fallback(); /* no v1 handling here (blkio weight) */
    add(dir, knobs[j].file, knobs[j].value);
  }
  size_t nv1 = np;
  if (any_v2) {
    const char *dir = cgroup_dir(NULL);
    if (!dir)
      fallback();
    v2_plan(dir);
  }
  if (np == 0)
    fallback();
  /* v1 memory: when the new limit is above the current memory+swap limit, swap goes first (as runc);
   * cpu: period before quota when the quota grows is not needed on v1 (independent files). */
  for (size_t x = 0; x + 1 < nv1; x++) {
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
