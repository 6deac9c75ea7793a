/*
 * fast.c - the warm path:
 * `berth-launch --fast ROOT ACTION DETACH BUNDLE ID PID-FILE LOG LOG-FORMAT FALLBACK...`
 * (PID-FILE and LOG absolute or empty for none).
 *
 * The JVM, having created a container from a config, leaves a *template* of what it did in
 * <root>/.plan-cache/<key>.plan (root-only): the plan with the id, the bundle path and the creation
 * time as marks, plus the side effects it performed before the hand-over (state directory, its
 * files, the cgroup directories and every control-file write, recorded). The key digests the
 * action, the detach flag, the root, the default cgroup parent, the pid file, the log and the
 * config's bytes, each *normalised* (fast_normalise: this call's bundle path and id replaced by
 * marks), so one template serves every container of a config that differs only by its id and
 * bundle (as under containerd, podman and the CRI), and any other change is a miss. It is computed
 * here only (the JVM stores under the key it is handed in $BERTH_PLAN_KEY), and a template found is
 * used only if its normalised config bytes, pid file, log, bundle mark, root, action and
 * detachment are the ones asked for (compared, not trusted to the hash). On a hit the launcher
 * instantiates the template (marks replaced by this id, bundle and time) and performs it without a
 * JVM; on a miss (or anything unusual: an id that cannot be told apart in the config) it execs
 * FALLBACK (bin/berth-runc with BERTH_NO_FAST=1), which takes the JVM path and writes the template
 * for next time.
 */
#include "berth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_MARK "@@BERTH-ID@@"
#define BUNDLE_MARK "@@BERTH-BUNDLE@@"
#define CREATED_MARK "@@BERTH-CREATED@@"
#define ANY_MARK "@@BERTH-"
/* An id or bundle that occurs in the config must be at least this long (shorter: a miss). */
#define MIN_MARKED 8
#define MAX_CONFIG (8u << 20)

static void fallback(char **argv)
{
  setenv("BERTH_NO_FAST", "1", 1);
  execv(argv[0], argv);
  fprintf(stderr, "berth-runc: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static int valid_id(const char *id)
{
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || id[0] == '.')
    return 0;
  for (const char *p = id; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
          c == '-' || c == '.'))
      return 0;
  }
  return 1;
}

/* Reads a whole regular file (at most max bytes); NULL on any problem. */
static char *slurp(int fd, size_t max, size_t *len)
{
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size > max)
    return NULL;
  char *buf = malloc((size_t) st.st_size + 1);
  if (!buf)
    return NULL;
  size_t got = 0;
  while (got < (size_t) st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t) st.st_size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      free(buf);
      return NULL;
    }
    got += (size_t) r;
  }
  *len = got;
  return buf;
}

/* FNV-1a 64, twice with different offset bases: a 128-bit cache key (dev.berth.runtime.PlanCache). */
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
  fnv(h, s, strlen(s) + 1); /* with its NUL, as a separator */
}

struct buf {
  char *data;
  size_t len, cap;
};

static int put(struct buf *b, const void *p, size_t n)
{
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 8192;
    while (cap < b->len + n)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
      return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

static int put_u16(struct buf *b, uint16_t v)
{
  unsigned char x[2] = {v & 0xff, v >> 8};
  return put(b, x, 2);
}

static int put_u32(struct buf *b, uint32_t v)
{
  unsigned char x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  return put(b, x, 4);
}


static int word_char(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
         c == '-' || c == '.';
}

/*
 * The template's form of a text (dev.berth.runtime.ops.WarmNormal does the same): every occurrence
 * of the bundle path, then of the id, replaced by its mark, in one pass (the bundle is tried
 * first at each position, so an id inside the bundle path goes with it). An occurrence counts only
 * where it stands alone: the id with no id character on either side, the bundle with none after
 * it and neither one nor '/' before it. NULL (take the JVM) when that cannot be told: the text
 * already holds a mark, an undelimited occurrence (the id inside an unrelated word: "abc" in
 * "xabcx"), or an id or bundle shorter than MIN_MARKED that occurs at all.
 */
char *fast_normalise(const char *s, size_t len, const char *bundle, const char *id, size_t *out_len)
{
  size_t bl = strlen(bundle), il = strlen(id);
  struct buf out = {0};
  if (memmem(s, len, ANY_MARK, sizeof ANY_MARK - 1))
    return NULL;
  for (size_t i = 0; i < len;) {
    const unsigned char prev = i > 0 ? (unsigned char) s[i - 1] : 0;
    if (bl > 1 && len - i >= bl && memcmp(s + i, bundle, bl) == 0) {
      unsigned char next = i + bl < len ? (unsigned char) s[i + bl] : 0;
      if (word_char(prev) || prev == '/' || word_char(next) || bl < MIN_MARKED)
        goto ambiguous;
      if (put(&out, BUNDLE_MARK, sizeof BUNDLE_MARK - 1) < 0)
        goto ambiguous;
      i += bl;
      continue;
    }
    if (il > 0 && len - i >= il && memcmp(s + i, id, il) == 0) {
      unsigned char next = i + il < len ? (unsigned char) s[i + il] : 0;
      if (word_char(prev) || word_char(next) || il < MIN_MARKED)
        goto ambiguous;
      if (put(&out, ID_MARK, sizeof ID_MARK - 1) < 0)
        goto ambiguous;
      i += il;
      continue;
    }
    if (put(&out, s + i, 1) < 0)
      goto ambiguous;
    i++;
  }
  if (put(&out, "", 1) < 0) /* NUL-terminated; not counted */
    goto ambiguous;
  *out_len = out.len - 1;
  return out.data;
ambiguous:
  free(out.data);
  return NULL;
}

/* Copies a field, replacing the placeholders. */
static const char *cur_bundle = "";

static int put_field(struct buf *b, const char *f, uint32_t len, const char *id, const char *created)
{
  struct buf out = {0};
  uint32_t i = 0;
  while (i < len) {
    if (len - i >= sizeof ID_MARK - 1 && memcmp(f + i, ID_MARK, sizeof ID_MARK - 1) == 0) {
      if (put(&out, id, strlen(id)) < 0)
        return -1;
      i += sizeof ID_MARK - 1;
    } else if (len - i >= sizeof BUNDLE_MARK - 1 && memcmp(f + i, BUNDLE_MARK, sizeof BUNDLE_MARK - 1) == 0) {
      if (put(&out, cur_bundle, strlen(cur_bundle)) < 0)
        return -1;
      i += sizeof BUNDLE_MARK - 1;
    } else if (len - i >= sizeof CREATED_MARK - 1 && memcmp(f + i, CREATED_MARK, sizeof CREATED_MARK - 1) == 0) {
      if (put(&out, created, strlen(created)) < 0)
        return -1;
      i += sizeof CREATED_MARK - 1;
    } else {
      if (put(&out, f + i, 1) < 0)
        return -1;
      i++;
    }
  }
  int r = put_u32(b, (uint32_t) out.len) < 0 || put(b, out.data ? out.data : "", out.len) < 0 || put(b, "", 1) < 0 ? -1 : 0;
  free(out.data);
  return r;
}

/*
 * Copies a field that is itself a plan (a T_FAST_FILE's content in the plan format, e.g. the
 * verbs record): re-encoded record by record, so the placeholders' replacement keeps every length
 * right. -1 if it is malformed.
 */
static int put_nested(struct buf *b, const char *t, uint32_t len, const char *id, const char *created)
{
  struct buf in = {0};
  uint32_t count;
  memcpy(&count, t + 8, 4);
  size_t off = 12;
  int r = put(&in, t, 12);
  for (uint32_t k = 0; r == 0 && k < count; k++) {
    uint16_t tag, n;
    if (off + 4 > len) {
      r = -1;
      break;
    }
    memcpy(&tag, t + off, 2);
    memcpy(&n, t + off + 2, 2);
    off += 4;
    r = put_u16(&in, tag) < 0 || put_u16(&in, n) < 0 ? -1 : 0;
    for (uint16_t i = 0; r == 0 && i < n; i++) {
      uint32_t fl;
      if (off + 4 > len) {
        r = -1;
        break;
      }
      memcpy(&fl, t + off, 4);
      off += 4;
      if (fl > len - off || len - off - fl < 1 || put_field(&in, t + off, fl, id, created) < 0)
        r = -1;
      off += fl + 1;
    }
  }
  if (r == 0 && off != len)
    r = -1;
  if (r == 0)
    r = put_u32(b, (uint32_t) in.len) < 0 || put(b, in.data, in.len) < 0 || put(b, "", 1) < 0 ? -1 : 0;
  free(in.data);
  return r;
}

/* What a template must be for to be used: the key only finds it; these are compared. */
struct want {
  const char *config; /* normalised */
  size_t clen;
  const char *root, *action;
  const char *pid_file, *log, *log_format; /* normalised; "" for none */
  int detach;
};

static int field_is(const char *f, uint32_t fl, const char *s)
{
  return fl == strlen(s) && memcmp(f, s, fl) == 0;
}

/* Checks one template field against what this command line asks for; seen collects the facts met. */
enum { SEEN_CONFIG = 1, SEEN_BUNDLE = 2, SEEN_STATE_DIR = 4, SEEN_ACTION = 8, SEEN_ALL = 15, SEEN_PID = 16, SEEN_LOG = 32 };
static int check_field(const struct want *w, uint16_t tag, uint16_t i, const char *f, uint32_t fl, int *config_next,
                       int *seen)
{
  switch (tag) {
  case T_FAST_FILE:
    if (i == 0) {
      *config_next = fl >= 12 && memcmp(f + fl - 12, "/config.json", 12) == 0;
      return 0;
    }
    if (i == 1 && *config_next) {
      *seen |= SEEN_CONFIG;
      return fl == w->clen && memcmp(f, w->config, fl) == 0 ? 0 : -1;
    }
    return 0;
  case T_BUNDLE:
    *seen |= SEEN_BUNDLE;
    return field_is(f, fl, BUNDLE_MARK) ? 0 : -1;
  case T_PID_FILE:
    *seen |= SEEN_PID;
    return field_is(f, fl, w->pid_file) ? 0 : -1;
  case T_LOG:
    *seen |= SEEN_LOG;
    return field_is(f, fl, i == 0 ? w->log : w->log_format) ? 0 : -1;
  case T_FAST_STATE_DIR: {
    size_t rl = strlen(w->root);
    *seen |= SEEN_STATE_DIR;
    return fl == rl + 1 + sizeof ID_MARK - 1 && memcmp(f, w->root, rl) == 0 && f[rl] == '/' &&
                   memcmp(f + rl + 1, ID_MARK, sizeof ID_MARK - 1) == 0
               ? 0
               : -1;
  }
  case T_ACTION:
    *seen |= SEEN_ACTION;
    return field_is(f, fl, w->action) ? 0 : -1;
  default:
    return 0;
  }
}

/*
 * Instantiates the template (raw plan bytes) into a memfd; -1 if it is malformed or is not for this
 * command: its config's bytes, bundle, state root, action and detachment must be the ones asked for
 * (the key is a 128-bit FNV index, not a proof).
 */
static int instantiate(const char *t, size_t len, const char *id, const char *created, const struct want *w)
{
  if (len < 12 || memcmp(t, PLAN_MAGIC, 8) != 0)
    return -1;
  struct buf b = {0};
  uint32_t count;
  memcpy(&count, t + 8, 4);
  if (put(&b, t, 12) < 0)
    return -1;
  size_t off = 12;
  int seen = 0, monitor = 0;
  for (uint32_t r = 0; r < count; r++) {
    uint16_t tag, n;
    if (off + 4 > len)
      goto bad;
    memcpy(&tag, t + off, 2);
    memcpy(&n, t + off + 2, 2);
    off += 4;
    if (tag == T_MONITOR)
      monitor = 1;
    if (put_u16(&b, tag) < 0 || put_u16(&b, n) < 0)
      goto bad;
    int config_next = 0;
    for (uint16_t i = 0; i < n; i++) {
      uint32_t fl;
      if (off + 4 > len)
        goto bad;
      memcpy(&fl, t + off, 4);
      off += 4;
      if (fl > len - off || len - off - fl < 1)
        goto bad;
      if (check_field(w, tag, i, t + off, fl, &config_next, &seen) < 0)
        goto bad;
      if (tag == T_FAST_FILE && i == 1 && fl >= 12 && memcmp(t + off, PLAN_MAGIC, 8) == 0) {
        if (put_nested(&b, t + off, fl, id, created) < 0)
          goto bad;
      } else if (put_field(&b, t + off, fl, id, created) < 0)
        goto bad;
      off += fl + 1;
    }
  }
  if (seen != (SEEN_ALL | (*w->pid_file ? SEEN_PID : 0) | (*w->log ? SEEN_LOG : 0)) || monitor != w->detach)
    goto bad;
  int fd = memfd_create("berth-plan", 0);
  if (fd < 0 || write_all(fd, b.data, b.len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
    goto bad;
  free(b.data);
  return fd;
bad:
  free(b.data);
  return -1;
}

static char **fallback_argv;
static char template_path[4096];

int fast_plan(char **argv, int argc)
{
  if (argc < 10 || getenv("BERTH_NO_FAST"))
    return -1;
  const char *root = argv[0], *action = argv[1], *detach = argv[2], *bundle = argv[3], *id = argv[4];
  const char *pid_file = argv[5], *log = argv[6], *log_format = argv[7];
  char **fb = argv + 8;
  fallback_argv = fb;
  if (!valid_id(id) || root[0] != '/' || bundle[0] != '/' || (*pid_file && pid_file[0] != '/') ||
      (*log && log[0] != '/'))
    fallback(fb);
  cur_bundle = bundle;
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  int cfd = open(path, O_RDONLY | O_CLOEXEC);
  size_t clen = 0, nlen = 0, plen = 0, llen = 0;
  char *raw = cfd < 0 ? NULL : slurp(cfd, MAX_CONFIG, &clen);
  if (cfd >= 0)
    close(cfd);
  if (!raw)
    fallback(fb);
  /* Templates hold the config, the pid file and the log path with this call's bundle and id
   * replaced by marks: one template serves every container of the same config whatever its id
   * and bundle (containerd, podman and the CRI give each its own). */
  char *config = fast_normalise(raw, clen, bundle, id, &nlen);
  char *npid = fast_normalise(pid_file, strlen(pid_file), bundle, id, &plen);
  char *nlog = fast_normalise(log, strlen(log), bundle, id, &llen);
  free(raw);
  if (!config || !npid || !nlog || strlen(npid) != plen || strlen(nlog) != llen)
    fallback(fb);
  /* The key is computed here only. It names the template; on a miss it goes to the JVM
   * ($BERTH_PLAN_KEY), which stores the template it makes under that name. The default cgroup
   * parent (dev.berth.runtime.RuntimeContext.cgroupParent) is part of it: the template's cgroup
   * directories are under it. */
  const char *cgparent = getenv("BERTH_CGROUP_PARENT");
  if (!cgparent || !*cgparent)
    cgparent = "berth";
  uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  fnv_str(h, "berth-plan-v3");
  fnv_str(h, action);
  fnv_str(h, detach);
  fnv_str(h, root);
  fnv_str(h, cgparent);
  fnv_str(h, npid);
  fnv_str(h, nlog);
  fnv_str(h, log_format);
  fnv(h, config, nlen);
  char key[33];
  snprintf(key, sizeof key, "%016llx%016llx", (unsigned long long) h[0], (unsigned long long) h[1]);
  setenv("BERTH_PLAN_KEY", key, 1);

  /* Only a template in a directory that is ours alone is trusted: it will be executed as is. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/.plan-cache", root);
  struct stat st;
  if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
    fallback(fb);
  snprintf(path, sizeof path, "%s/%s.plan", dir, key);
  snprintf(template_path, sizeof template_path, "%s", path);
  int tfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (tfd < 0)
    fallback(fb);
  size_t tlen = 0;
  char *t = NULL;
  if (fstat(tfd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 022))
    t = slurp(tfd, 64u << 20, &tlen);
  close(tfd);
  if (!t)
    fallback(fb);

  /* Creation time as Java's Instant prints it. */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  char created[64];
  snprintf(created, sizeof created, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec);
  struct want w = {config, nlen, root, action, npid, nlog, log_format,
                   strcmp(action, "run") == 0 && strcmp(detach, "1") == 0};
  int fd = instantiate(t, tlen, id, created, &w);
  free(t);
  free(config);
  free(npid);
  free(nlog);
  if (fd < 0)
    fallback(fb);
  return fd;
}

/*
 * A new v1 cpuset cgroup starts with no cpus and no mems (nothing could join it): fill them from
 * the parent, as the JVM's cgroup manager does. Harmless elsewhere (no cpuset files there).
 */
static void cpuset_inherit(const char *dir)
{
  static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
  for (int i = 0; i < 2; i++) {
    char own[4096], parent[4096], v[256] = "";
    snprintf(own, sizeof own, "%s/%s", dir, files[i]);
    snprintf(parent, sizeof parent, "%s/../%s", dir, files[i]);
    int fd = open(own, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return;
    ssize_t n = read(fd, v, sizeof v - 1);
    close(fd);
    if (n > 1)
      continue; /* already set ("\n" alone means empty) */
    fd = open(parent, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return;
    n = read(fd, v, sizeof v - 1);
    close(fd);
    if (n <= 1)
      return;
    fd = open(own, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write_all(fd, v, (size_t) n) < 0) { /* the join will report it */ }
      close(fd);
    }
  }
}

static int mkdir_one(const char *p)
{
  if (mkdir(p, 0755) < 0)
    return errno == EEXIST ? 0 : -1;
  cpuset_inherit(p);
  return 0;
}

static int mkdir_p(char *p)
{
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    int r = mkdir_one(p);
    *s = '/';
    if (r < 0)
      return -1;
  }
  return mkdir_one(p);
}

/*
 * The side effects the JVM performed before its hand-over, replayed. Returns 1 if the plan has
 * none (not a fast plan), 0 on success; on failure reports and exits (undoing what it made).
 */
int fast_apply(const struct plan *plan, const char *id)
{
  const struct plan_record *sd = plan_find(plan, T_FAST_STATE_DIR);
  if (!sd)
    return 1;
  struct berr err = {0};
  if (mkdir(plan_str(sd, 0), 0755) < 0) {
    if (errno == EEXIST) {
      berr_set(&err, 0, "container \"%s\" already exists", id);
      log_error(&err);
      exit(1); /* nothing of ours to undo */
    }
    goto stale;
  }
  /* Who is creating it, before anything else: if we are killed half-way, `state` knows the create
   * is over and `delete` knows whom to stop. */
  if (write_proc_record(plan_str(sd, 0), "creator", &err) < 0)
    goto fail;
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_FAST_FILE, r));) {
    /* whole or not at all (a temp name, then rename): a kill here never leaves a half state.json */
    char tmp[4096];
    const char *path = plan_str(r, 0), *slash = strrchr(path, '/');
    if (!slash) {
      berr_set(&err, EINVAL, "template: not an absolute path: %s", path);
      goto fail;
    }
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", (int) (slash - path + 1), path, slash + 1);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, r->fields[1].data, r->fields[1].len) < 0 || rename(tmp, path) < 0) {
      berr_sys(&err, "write %s", plan_str(r, 0));
      if (fd >= 0) {
        close(fd);
        unlink(tmp);
      }
      goto fail;
    }
    close(fd);
  }
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_FAST_CGROUP_DIR, r));) {
    char p[4096];
    snprintf(p, sizeof p, "%s", plan_str(r, 0));
    if (mkdir_p(p) < 0) {
      berr_sys(&err, "cgroup: mkdir %s", plan_str(r, 0));
      goto fail;
    }
  }
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_FAST_CGROUP_WRITE, r));) {
    int fd = open(plan_str(r, 0), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0 || write_all(fd, plan_str(r, 1), strlen(plan_str(r, 1))) < 0) {
      berr_sys(&err, "cgroup: write %s \"%s\"", plan_str(r, 0), plan_str(r, 1));
      if (fd >= 0)
        close(fd);
      goto fail;
    }
    close(fd);
  }
  return 0;
fail:
  /* The template no longer fits this host (a cgroup hierarchy changed, say): undo, forget it, and
   * take the JVM path, which decides afresh and leaves a new template. */
  kill_cgroups(plan);
  run_cleanup(plan);
stale:
  unlink(template_path);
  if (fallback_argv)
    fallback(fallback_argv);
  log_error(&err);
  exit(1);
}
