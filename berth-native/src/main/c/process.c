/*
 * process.c - the spec's process: rlimits, oomScoreAdj, personality, apparmor/selinux, user,
 * capabilities, noNewPrivileges, seccomp, cwd, PATH lookup and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include "berth.h"

extern char **environ;

static int set_rlimits(const struct plan *plan, struct berr *err)
{
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_RLIMIT, r));) {
    uint64_t res, soft, hard;
    if (parse_u64(plan_str(r, 0), &res, err) < 0 || parse_u64(plan_str(r, 1), &soft, err) < 0 ||
        parse_u64(plan_str(r, 2), &hard, err) < 0)
      return berr_wrap(err, "rlimit");
    struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
    if (setrlimit((int) res, &rl) < 0)
      return berr_sys(err, "setrlimit: %s %s %s", plan_str(r, 0), plan_str(r, 1), plan_str(r, 2));
  }
  return 0;
}

int set_oom_score_adj(const struct plan *plan, pid_t pid, struct berr *err)
{
  const char *v = plan_get(plan, T_OOM_SCORE_ADJ);
  if (!v)
    return 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
  return write_proc_file(path, v, err);
}

int join_cgroups(const struct plan *plan, pid_t pid, struct berr *err)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%d", pid);
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_CGROUP, r));) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cgroup.procs", plan_str(r, 0));
    if (write_file_at(AT_FDCWD, path, buf, err) < 0)
      return berr_wrap(err, "join cgroup");
  }
  return 0;
}

static int set_lsm(const struct plan *plan, struct berr *err)
{
  const char *aa = plan_get(plan, T_APPARMOR), *se = plan_get(plan, T_SELINUX);
  if (aa && *aa) {
    char buf[512];
    snprintf(buf, sizeof buf, "exec %s", aa);
    const char *path = access("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                           : "/proc/self/attr/exec";
    if (write_proc_file(path, buf, err) < 0)
      return berr_wrap(err, "apparmor profile %s", aa);
  }
  if (se && *se && write_proc_file("/proc/self/attr/exec", se, err) < 0)
    return berr_wrap(err, "selinux label %s", se);
  return 0;
}

/* keep_admin: without no_new_privs the seccomp filter needs CAP_SYS_ADMIN when it is installed, and
 * it is installed last (just before execve). CAP_SYS_ADMIN then stays in the effective and permitted
 * sets until the execve, which recomputes both from the bounding, inheritable and ambient sets set
 * here (and the file's): the process never holds it unless the config grants it. */
static int set_user_and_caps(const struct plan *plan, bool keep_admin, struct berr *err)
{
  const struct plan_record *u = plan_find(plan, T_USER), *c = plan_find(plan, T_CAPS);
  uint64_t caps[5] = {0};
  if (c)
    for (int i = 0; i < 5; i++)
      if (parse_u64(plan_str(c, (unsigned) i), &caps[i], err) < 0)
        return berr_wrap(err, "capabilities");
  if (c) {
    for (int cap = 0; cap <= 63; cap++) {
      if (caps[0] & (1ULL << cap))
        continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
        if (errno == EINVAL)
          break; /* past the kernel's last cap */
        return berr_sys(err, "drop bounding capability: %d", cap);
      }
    }
  }
  if (u) {
    uint64_t uid, gid;
    if (parse_u64(plan_str(u, 0), &uid, err) < 0 || parse_u64(plan_str(u, 1), &gid, err) < 0)
      return berr_wrap(err, "user");
    size_t ng = u->nfields > 3 ? u->nfields - 3u : 0;
    gid_t groups[ng ? ng : 1];
    for (size_t i = 0; i < ng; i++) {
      uint64_t g;
      if (parse_u64(plan_str(u, (unsigned) (3 + i)), &g, err) < 0)
        return berr_wrap(err, "additional gid");
      groups[i] = (gid_t) g;
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
      return berr_sys(err, "prctl: PR_SET_KEEPCAPS");
    if (setgroups(ng, groups) < 0 && !(errno == EPERM && ng == 0))
      return berr_sys(err, "setgroups: %zu groups", ng);
    if (setresgid((gid_t) gid, (gid_t) gid, (gid_t) gid) < 0)
      return berr_sys(err, "setresgid: %s", plan_str(u, 1));
    if (setresuid((uid_t) uid, (uid_t) uid, (uid_t) uid) < 0)
      return berr_sys(err, "setresuid: %s", plan_str(u, 0));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
      return berr_sys(err, "prctl: PR_SET_KEEPCAPS");
  }
  if (c) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    if (keep_admin) {
      caps[1] |= 1ULL << CAP_SYS_ADMIN;
      caps[3] |= 1ULL << CAP_SYS_ADMIN;
    }
    for (int i = 0; i < 2; i++) {
      d[i].effective = (uint32_t) (caps[1] >> (32 * i));
      d[i].inheritable = (uint32_t) (caps[2] >> (32 * i));
      d[i].permitted = (uint32_t) (caps[3] >> (32 * i));
    }
    if (syscall(SYS_capset, &h, d) < 0)
      return berr_sys(err, "capset: effective %s permitted %s inheritable %s", plan_str(c, 1), plan_str(c, 3),
                      plan_str(c, 2));
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
      return berr_sys(err, "clear ambient capabilities");
    for (int cap = 0; cap <= 63; cap++)
      if ((caps[4] & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        return berr_sys(err, "raise ambient capability: %d", cap);
  }
  return 0;
}

static int set_cwd(const struct plan *plan, struct berr *err)
{
  const char *cwd = plan_get(plan, T_CWD);
  if (!cwd || !*cwd)
    cwd = "/";
  if (chdir(cwd) < 0)
    return berr_sys(err, "chdir: %s", cwd);
  /* CVE-2024-21626: a leaked directory fd could leave us outside the root */
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return berr_set(err, errno ? errno : EPERM, "cwd outside the container root: %s", cwd);
  return 0;
}

static const char *env_get(char **env, const char *name)
{
  size_t n = strlen(name);
  for (; env && *env; env++)
    if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

static int lookup_path(struct launch *l, char **env, struct berr *err)
{
  const struct plan_record *a = plan_find(l->plan, T_ARGS);
  if (!a || a->nfields == 0 || !*plan_str(a, 0))
    return berr_set(err, EINVAL, "process: no args");
  const char *arg0 = plan_str(a, 0);
  if (strchr(arg0, '/')) {
    struct stat st;
    if (stat(arg0, &st) < 0)
      return berr_sys(err, "exec: %s", arg0);
    if (S_ISDIR(st.st_mode))
      return berr_set(err, EISDIR, "exec: %s", arg0);
    /* as runc: a file the process may not execute fails the create, not silently after start */
    if (access(arg0, X_OK) < 0)
      return berr_sys(err, "exec: %s", arg0);
    l->exec_path = strdup(arg0);
    return 0;
  }
  const char *path = env_get(env, "PATH");
  if (!path)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    char cand[PATH_MAX];
    snprintf(cand, sizeof cand, "%.*s/%s", (int) n, n ? path : ".", arg0);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
      l->exec_path = strdup(cand);
      return 0;
    }
    path += n + (path[n] == ':');
  }
  return berr_set(err, ENOENT, "exec: executable file not found in $PATH: %s", arg0);
}

/* Everything up to (not including) the exec fifo; runs as root of the container. */
int process_prepare(struct launch *l, struct berr *err)
{
  const struct plan *plan = l->plan;
  const char *pers = plan_get(plan, T_PERSONALITY);
  if (set_rlimits(plan, err) < 0)
    return -1;
  if (pers) {
    int64_t p;
    if (parse_i64(pers, &p, err) < 0 || personality((unsigned long) p) < 0)
      return berr_sys(err, "personality: %s", pers);
  }
  if (set_lsm(plan, err) < 0)
    return -1;
  bool nnp = plan_find(plan, T_NO_NEW_PRIVS) != NULL;
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berr_sys(err, "prctl: PR_SET_NO_NEW_PRIVS");
  /* the filter is installed by process_exec, as the last call before execve (with or without
   * no_new_privs): here only what may allocate or fail */
  if (seccomp_prepare(l, err) < 0)
    return -1;
  if (set_cwd(plan, err) < 0)
    return -1;
  const struct plan_record *u = plan_find(plan, T_USER);
  mode_t um = 022;
  if (u && *plan_str(u, 2))
    um = (mode_t) strtoul(plan_str(u, 2), NULL, 8);
  if (set_user_and_caps(plan, l->seccomp_prog.filter && !nnp, err) < 0)
    return -1;
  umask(um);
  char **env = NULL;
  const struct plan_record *e = plan_find(plan, T_ENV);
  if (e)
    env = plan_strv(e, 0, e->nfields);
  int r = lookup_path(l, env, err);
  free(env);
  return r;
}

/* runc's order, stricter: fds marked close-on-exec, argv/env built and the signal mask restored
 * first; then the seccomp filter; then nothing but execve (a listener's notify fd excepted). */
int process_exec(struct launch *l, struct berr *err)
{
  const struct plan *plan = l->plan;
  uint64_t npreserve = 0;
  if (plan_get(plan, T_PRESERVE_FDS) && parse_u64(plan_get(plan, T_PRESERVE_FDS), &npreserve, err) < 0)
    return berr_wrap(err, "preserve fds");
  /* CVE-2024-21626: nothing but stdio and the preserved fds survives the exec */
  if (syscall(SYS_close_range, 3 + (unsigned) npreserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return berr_sys(err, "close_range: %u", 3 + (unsigned) npreserve);
  for (unsigned i = 0; i < npreserve && i < 64; i++) {
    int fd = (int) (3 + i), fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (l->preserved_open & (1ULL << i)))
      fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    else if (fl >= 0)
      close(fd); /* a placeholder (see main.c) */
  }
  const struct plan_record *a = plan_find(plan, T_ARGS), *e = plan_find(plan, T_ENV);
  char **argv = plan_strv(a, 0, a->nfields);
  char **envp = e ? plan_strv(e, 0, e->nfields) : calloc(1, sizeof(char *));
  if (!argv || !envp)
    return berr_sys(err, "exec: %s", l->exec_path);
  sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
  if (seccomp_load(l, err) < 0)
    return -1;
  execve(l->exec_path, argv, envp);
  /* the access(X_OK) before was fine: EPERM now is most likely the filter's SCMP_ACT_ERRNO */
  if (l->seccomp_loaded && errno == EPERM)
    return berr_sys(err, "exec: %s (under linux.seccomp: a conditional rule refusing execve?)", l->exec_path);
  return berr_sys(err, "exec: %s", l->exec_path);
}
