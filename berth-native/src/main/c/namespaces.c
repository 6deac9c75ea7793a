/* namespaces.c - linux.namespaces and the user namespace's id maps. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "berth.h"

static const char *ns_name(int flag)
{
  switch (flag) {
  case CLONE_NEWUSER: return "user";
  case CLONE_NEWNS: return "mnt";
  case CLONE_NEWPID: return "pid";
  case CLONE_NEWNET: return "net";
  case CLONE_NEWIPC: return "ipc";
  case CLONE_NEWUTS: return "uts";
  case CLONE_NEWCGROUP: return "cgroup";
  case CLONE_NEWTIME: return "time";
  default: return "?";
  }
}

/* Opens every namespace to join now, while paths still mean the host's; user first, mnt last. */
int ns_prepare(const struct plan *plan, struct nsplan *ns, struct berr *err)
{
  static const int order[] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
                              CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS};
  memset(ns, 0, sizeof *ns);
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_NAMESPACE, r));) {
    int64_t flag;
    if (parse_i64(plan_str(r, 0), &flag, err) < 0)
      return berr_wrap(err, "namespace");
    if (!*plan_str(r, 1))
      ns->newflags |= (int) flag;
  }
  for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
    for (const struct plan_record *r = NULL; (r = plan_next(plan, T_NAMESPACE, r));) {
      int64_t flag;
      parse_i64(plan_str(r, 0), &flag, err);
      const char *path = plan_str(r, 1);
      if (flag != order[o] || !*path)
        continue;
      if (ns->nns >= 16)
        return berr_set(err, E2BIG, "namespace: too many: %s", path);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berr_sys(err, "open %s namespace: %s", ns_name((int) flag), path);
      ns->nsfd[ns->nns] = fd;
      ns->nsflag[ns->nns++] = (int) flag;
      ns->join_flags |= (int) flag;
    }
  }
  return 0;
}

int ns_join(struct nsplan *ns, int mask, struct berr *err)
{
  for (int i = 0; i < ns->nns; i++) {
    if (ns->nsfd[i] < 0 || !(ns->nsflag[i] & mask))
      continue;
    if (setns(ns->nsfd[i], ns->nsflag[i]) < 0)
      return berr_sys(err, "setns: %s namespace", ns_name(ns->nsflag[i]));
    close(ns->nsfd[i]);
    ns->nsfd[i] = -1;
  }
  return 0;
}

/* fork-like clone into new namespaces: the child continues on a copy of our stack. */
pid_t ns_clone(int flags, struct berr *err)
{
  pid_t pid = (pid_t) syscall(SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return berr_sys(err, "clone: flags 0x%x", flags);
  return pid;
}

static int write_map(const struct plan *plan, int piddir, uint16_t tag, const char *file, struct berr *err)
{
  char buf[4096];
  size_t off = 0;
  for (const struct plan_record *r = NULL; (r = plan_next(plan, tag, r));) {
    int n = snprintf(buf + off, sizeof buf - off, "%s %s %s\n", plan_str(r, 0), plan_str(r, 1), plan_str(r, 2));
    if (n < 0 || (size_t) n >= sizeof buf - off)
      return berr_set(err, E2BIG, "write %s: too many entries", file);
    off += (size_t) n;
  }
  if (!off)
    return 0;
  int fd = openat(piddir, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berr_sys(err, "open: %s", file);
  int r = check_procfs(fd, file, err);
  if (r == 0 && write_all(fd, buf, off) < 0)
    r = berr_sys(err, "write %s: %.*s", file, (int) strcspn(buf, "\n"), buf);
  close(fd);
  return r;
}

int ns_write_id_maps(const struct plan *plan, pid_t pid, struct berr *err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", pid);
  int dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berr_sys(err, "open: %s", path);
  int ret = 0;
  if (geteuid() != 0 && plan_find(plan, T_GID_MAP)) {
    int fd = openat(dfd, "setgroups", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, "deny", 4) < 0)
      ret = berr_sys(err, "write: %s/setgroups", path);
    if (fd >= 0)
      close(fd);
  }
  if (ret == 0 && (write_map(plan, dfd, T_UID_MAP, "uid_map", err) < 0 ||
                   write_map(plan, dfd, T_GID_MAP, "gid_map", err) < 0))
    ret = berr_wrap(err, "user namespace of pid %d", pid);
  close(dfd);
  return ret;
}
