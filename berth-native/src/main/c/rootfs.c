/*
 * rootfs.c - root, mounts, devices, pivot_root, maskedPaths, readonlyPaths, sysctl.
 * Mount destinations are resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and mounted
 * onto /proc/self/fd/N, never onto a path string (CVE-2021-30465).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include "berth.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int openat2_in_root(int rootfd, const char *path, int flags)
{
  struct open_how how = {.flags = (uint64_t) (flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  do
    fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

static void fdpath(char *buf, size_t len, int fd) { snprintf(buf, len, "/proc/self/fd/%d", fd); }

/* Opens dest (O_PATH) inside the root, creating missing directories (and a file if is_file):
 * each prefix is resolved against the root, each missing component created in its resolved parent. */
static int create_walk(int rootfd, const char *dest, bool is_file, int depth, struct berr *err)
{
  if (depth > 40)
    return berr_set(err, ELOOP, "open in rootfs: %s", dest);
  int fd = openat2_in_root(rootfd, dest, O_PATH);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : berr_sys(err, "open in rootfs: %s", dest);
  char path[PATH_MAX];
  size_t len = strlen(dest);
  if (len >= sizeof path)
    return berr_set(err, ENAMETOOLONG, "open in rootfs: %s", dest);
  memcpy(path, dest, len + 1);
  int parent = dup(rootfd);
  if (parent < 0)
    return berr_sys(err, "dup: %s", dest);
  for (size_t i = 0; i <= len; i++) {
    if (i < len && path[i] != '/')
      continue;
    if (i == 0 || path[i - 1] == '/')
      continue;
    char saved = path[i];
    path[i] = 0;
    int next = openat2_in_root(rootfd, path, O_PATH);
    if (next < 0 && errno == ENOENT) {
      const char *comp = strrchr(path, '/') + 1;
      int r;
      if (i == len && is_file) {
        r = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (r >= 0)
          close(r);
      } else {
        r = mkdirat(parent, comp, 0755);
      }
      if (r < 0 && errno != EEXIST) {
        berr_sys(err, "create in rootfs: %s", path);
        close(parent);
        return -1;
      }
      next = openat2_in_root(rootfd, path, O_PATH);
      char target[PATH_MAX];
      ssize_t tl;
      if (next < 0 && errno == ENOENT && (tl = readlinkat(parent, comp, target, sizeof target - 1)) > 0) {
        /* a dangling symlink: create its target, still resolved inside the root */
        char np[PATH_MAX];
        target[tl] = 0;
        path[i] = saved;
        if (target[0] == '/')
          snprintf(np, sizeof np, "%s%s", target, path + i);
        else
          snprintf(np, sizeof np, "%.*s/%s%s", (int) (comp - path), path, target, path + i);
        close(parent);
        return create_walk(rootfd, np, is_file, depth + 1, err);
      }
    }
    if (next < 0) {
      berr_sys(err, "open in rootfs: %s", path);
      close(parent);
      return -1;
    }
    path[i] = saved;
    close(parent);
    parent = next;
  }
  return parent;
}

static int open_or_create(int rootfd, const char *dest, bool is_file, struct berr *err)
{
  return create_walk(rootfd, dest, is_file, 0, err);
}

static unsigned long locked_flags(const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

/* Remount the mount now on top of dest read-only (or with flags) keeping locked flags in a userns. */
static int remount_bind(int rootfd, const char *dest, unsigned long flags, bool userns, struct berr *err)
{
  char p[64];
  int fd = openat2_in_root(rootfd, dest, O_PATH);
  if (fd < 0)
    return berr_sys(err, "reopen mount: %s", dest);
  fdpath(p, sizeof p, fd);
  if (userns)
    flags |= locked_flags(p);
  int r = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
  if (r < 0)
    berr_sys(err, "remount %s: 0x%lx", dest, flags);
  close(fd);
  return r;
}

static int set_propagation(int rootfd, const char *dest, unsigned long prop, struct berr *err)
{
  char p[64];
  int fd = openat2_in_root(rootfd, dest, O_PATH);
  if (fd < 0)
    return berr_sys(err, "reopen mount: %s", dest);
  fdpath(p, sizeof p, fd);
  int r = mount(NULL, p, NULL, prop, NULL);
  if (r < 0)
    berr_sys(err, "mount propagation %s: 0x%lx", dest, prop);
  close(fd);
  return r;
}

/* fstype "cgroup": the container's own cgroup directories, bind-mounted read-only. */
static int mount_cgroups(struct launch *l, int rootfd, const char *dest, unsigned long flags, bool userns,
                         struct berr *err)
{
  char p[64];
  const struct plan_record *first = plan_find(l->plan, T_CGROUP);
  struct statfs sfs;
  if (first && !plan_next(l->plan, T_CGROUP, first) && statfs(plan_str(first, 0), &sfs) == 0 &&
      sfs.f_type == CGROUP2_SUPER_MAGIC) {
    int fd = open_or_create(rootfd, dest, false, err);
    if (fd < 0)
      return -1;
    fdpath(p, sizeof p, fd);
    int r = mount(plan_str(first, 0), p, NULL, MS_BIND | MS_REC, NULL);
    close(fd);
    if (r < 0)
      return berr_sys(err, "mount cgroup: %s", plan_str(first, 0));
    return remount_bind(rootfd, dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | (flags & MS_RDONLY), userns,
                        err);
  }
  int fd = open_or_create(rootfd, dest, false, err);
  if (fd < 0)
    return -1;
  fdpath(p, sizeof p, fd);
  int r = mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
  close(fd);
  if (r < 0)
    return berr_sys(err, "mount tmpfs for cgroups: %s", dest);
  for (const struct plan_record *c = NULL; (c = plan_next(l->plan, T_CGROUP, c));) {
    const char *dir = plan_str(c, 0);
    const char *rest = strncmp(dir, "/sys/fs/cgroup/", 15) == 0 ? dir + 15 : NULL;
    if (!rest || !*rest)
      continue;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%.*s", dest, (int) strcspn(rest, "/"), rest);
    int sfd = open_or_create(rootfd, sub, false, err);
    if (sfd < 0)
      return -1;
    fdpath(p, sizeof p, sfd);
    r = mount(dir, p, NULL, MS_BIND | MS_REC, NULL);
    close(sfd);
    if (r < 0)
      return berr_sys(err, "mount cgroup: %s", dir);
    if (remount_bind(rootfd, sub, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, userns, err) < 0)
      return -1;
  }
  return remount_bind(rootfd, dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, userns, err);
}

static int mount_one(struct launch *l, int rootfd, const struct plan_record *m, struct berr *err)
{
  const char *source = plan_str(m, 0), *dest = plan_str(m, 1), *fstype = plan_str(m, 2);
  const char *data = plan_str(m, 4), *kind = plan_str(m, 6);
  uint64_t flags, prop;
  bool userns = l->ns.newflags & CLONE_NEWUSER;
  if (parse_u64(plan_str(m, 3), &flags, err) < 0 || parse_u64(plan_str(m, 5), &prop, err) < 0)
    return -1;
  if (!*source && (strcmp(fstype, "cgroup") == 0 || strcmp(fstype, "cgroup2") == 0)) {
    if (mount_cgroups(l, rootfd, dest, (unsigned long) flags, userns, err) < 0)
      return -1;
    goto propagation;
  }
  bool bind = flags & MS_BIND;
  bool is_file = strcmp(kind, "file") == 0;
  if (bind) {
    struct stat st;
    if (stat(source, &st) < 0)
      return berr_sys(err, "mount source: %s", source);
    is_file = !S_ISDIR(st.st_mode);
  }
  int fd = open_or_create(rootfd, dest, is_file, err);
  if (fd < 0)
    return -1;
  char p[64];
  fdpath(p, sizeof p, fd);
  unsigned long first = bind ? (unsigned long) (flags & (MS_BIND | MS_REC)) : (unsigned long) flags;
  int r = mount(*source ? source : fstype, p, *fstype && !bind ? fstype : NULL, first, *data && !bind ? data : NULL);
  close(fd);
  if (r < 0)
    return berr_sys(err, "mount %s on %s", *source ? source : fstype, dest);
  if (bind && (flags & ~(uint64_t) (MS_BIND | MS_REC)))
    if (remount_bind(rootfd, dest, (unsigned long) (flags & ~(uint64_t) MS_REC), userns, err) < 0)
      return -1;
propagation:
  if (prop && set_propagation(rootfd, dest, (unsigned long) prop, err) < 0)
    return -1;
  return 0;
}

static int make_device(struct launch *l, int rootfd, const struct plan_record *d, struct berr *err)
{
  const char *path = plan_str(d, 0), *type = plan_str(d, 1);
  uint64_t major, minor, mode, uid, gid;
  if (parse_u64(plan_str(d, 2), &major, err) < 0 || parse_u64(plan_str(d, 3), &minor, err) < 0 ||
      parse_u64(plan_str(d, 4), &mode, err) < 0 || parse_u64(plan_str(d, 5), &uid, err) < 0 ||
      parse_u64(plan_str(d, 6), &gid, err) < 0)
    return berr_wrap(err, "device %s", path);
  if (strcmp(plan_str(d, 7), "1") == 0) {
    int fd = open_or_create(rootfd, path, true, err);
    if (fd < 0)
      return -1;
    char p[64];
    fdpath(p, sizeof p, fd);
    int r = mount(path, p, NULL, MS_BIND, NULL);
    close(fd);
    return r < 0 ? berr_sys(err, "bind device: %s", path) : 0;
  }
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash || !slash[1])
    return berr_set(err, EINVAL, "device path: %s", path);
  snprintf(dir, sizeof dir, "%.*s", (int) (slash - path) ? (int) (slash - path) : 1, path);
  int dfd = open_or_create(rootfd, dir, false, err);
  if (dfd < 0)
    return -1;
  /* O_PATH fds are fine as *at() directory fds */
  int rdfd = openat(dfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  close(dfd);
  if (rdfd < 0)
    return berr_sys(err, "device dir: %s", dir);
  mode_t fmt = *type == 'b' ? S_IFBLK : *type == 'p' ? S_IFIFO : S_IFCHR;
  unlinkat(rdfd, slash + 1, 0);
  int r = mknodat(rdfd, slash + 1, fmt | (mode & 07777), makedev(major, minor));
  if (r < 0) {
    berr_sys(err, "mknod: %s", path);
  } else if (fchownat(rdfd, slash + 1, (uid_t) uid, (gid_t) gid, AT_SYMLINK_NOFOLLOW) < 0) {
    r = berr_sys(err, "chown device: %s", path);
  } else if (fchmodat(rdfd, slash + 1, mode & 07777, 0) < 0) {
    r = berr_sys(err, "chmod device: %s", path);
  }
  close(rdfd);
  return r;
}

static int dev_symlinks(int rootfd, struct berr *err)
{
  static const char *const links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                         {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                         {"pts/ptmx", "ptmx"}};
  int dev = openat2_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (dev < 0)
    return berr_sys(err, "open in rootfs: /dev");
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    if (strcmp(links[i][1], "ptmx") == 0)
      unlinkat(dev, "ptmx", 0);
    if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST) {
      berr_sys(err, "symlink: /dev/%s", links[i][1]);
      close(dev);
      return -1;
    }
  }
  close(dev);
  return 0;
}

int set_hostname(const struct plan *plan, struct berr *err)
{
  const char *h = plan_get(plan, T_HOSTNAME), *d = plan_get(plan, T_DOMAINNAME);
  if (h && sethostname(h, strlen(h)) < 0)
    return berr_sys(err, "sethostname: %s", h);
  if (d && setdomainname(d, strlen(d)) < 0)
    return berr_sys(err, "setdomainname: %s", d);
  return 0;
}

static int do_pivot_root(const char *rootfs, int rootfd, bool no_pivot, struct berr *err)
{
  if (no_pivot) {
    if (fchdir(rootfd) < 0)
      return berr_sys(err, "chdir: %s", rootfs);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return berr_sys(err, "move mount: %s", rootfs);
    if (chroot(".") < 0)
      return berr_sys(err, "chroot: %s", rootfs);
    if (chdir("/") < 0)
      return berr_sys(err, "chdir: /");
    return 0;
  }
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return berr_sys(err, "open: /");
  int r = -1;
  if (fchdir(rootfd) < 0)
    berr_sys(err, "chdir: %s", rootfs);
  else if (syscall(SYS_pivot_root, ".", ".") < 0)
    berr_sys(err, "pivot_root: %s", rootfs);
  else if (fchdir(oldroot) < 0)
    berr_sys(err, "chdir: old root");
  else if (mount("", ".", "", MS_SLAVE | MS_REC, NULL) < 0)
    berr_sys(err, "make old root rslave: %s", rootfs);
  else if (umount2(".", MNT_DETACH) < 0)
    berr_sys(err, "unmount old root: %s", rootfs);
  else if (chdir("/") < 0)
    berr_sys(err, "chdir: /");
  else
    r = 0;
  close(oldroot);
  return r;
}

/* pivot_root refuses a shared parent: with rootfsPropagation shared, make the rootfs's parent
 * mount private (as runc does); the mounts below keep their shared propagation. */
static int make_parent_mount_private(const char *rootfs, struct berr *err)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return berr_sys(err, "open: /proc/self/mountinfo");
  char line[4096], best[PATH_MAX] = "/";
  size_t bestlen = 1;
  while (fgets(line, sizeof line, f)) {
    char mp[PATH_MAX];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    size_t n = strlen(mp);
    if (n > bestlen && strncmp(rootfs, mp, n) == 0 && (rootfs[n] == '/' || rootfs[n] == 0)) {
      memcpy(best, mp, n + 1);
      bestlen = n;
    }
  }
  fclose(f);
  if (mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return berr_sys(err, "make rootfs parent mount private: %s", best);
  return 0;
}

static bool own_mount_ns(const struct launch *l) { return (l->ns.newflags | l->ns.join_flags) & CLONE_NEWNS; }

/* The host paths the init needs (the rootfs, the exec fifo) are resolved here, before it becomes
 * root of its user namespace: until then its filesystem ids are still the caller's (host root), so
 * a rootfs under root-only 0700 directories, as berth's image store keeps them (no other host user
 * may reach a container's files), is reachable; afterwards the init uses only these descriptors.
 * The mounts need CAP_SYS_ADMIN over the new mount namespace, which the init has from its clone.
 * Without a mount namespace of the container's (the runtime's is shared, as the spec allows)
 * nothing is mounted here: see rootfs_enter_shared. */
int rootfs_enter(struct launch *l, struct berr *err)
{
  const struct plan_record *rr = plan_find(l->plan, T_ROOTFS);
  if (!rr)
    return berr_set(err, EINVAL, "plan: no rootfs");
  const char *rootfs = plan_str(rr, 0);
  if (own_mount_ns(l)) {
    uint64_t prop = 0;
    if (*plan_str(rr, 3) && parse_u64(plan_str(rr, 3), &prop, err) < 0)
      return berr_wrap(err, "rootfs propagation");
    if (!prop)
      prop = MS_SLAVE | MS_REC;
    if (mount(NULL, "/", NULL, (unsigned long) prop, NULL) < 0)
      return berr_sys(err, "rootfs propagation: 0x%lx", (unsigned long) prop);
    if ((prop & MS_SHARED) && make_parent_mount_private(rootfs, err) < 0)
      return -1;
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
      return berr_sys(err, "bind rootfs: %s", rootfs);
  }
  l->rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (l->rootfd < 0)
    return berr_sys(err, "open: %s", rootfs);
  const char *fifo = plan_get(l->plan, T_EXEC_FIFO);
  if (l->fifo_fd < 0 && fifo) {
    l->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
    if (l->fifo_fd < 0)
      return berr_sys(err, "open exec fifo: %s", fifo);
  }
  /* the fifo is reopened for writing through /proc/self/fd/N, and the chroot leaves no /proc:
   * keep the directory (as root of a user namespace the init may not search the state dir) */
  if (fifo && !own_mount_ns(l) && (l->proc_fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    return berr_sys(err, "open: /proc/self/fd");
  return 0;
}

static int write_sysctls(const struct plan *plan, struct berr *err);

/* No mount namespace: nothing is mounted, the root is entered with chroot. Java refuses what would
 * need a mount (mounts, devices, masked and read-only paths, a read-only root, a terminal's
 * /dev/console); checked again here, since a mount now would be the host's. Sysctls are written
 * before the chroot (the host's /proc shows this process its new namespaces' values). */
static int rootfs_enter_shared(struct launch *l, const char *rootfs, const struct plan_record *rr, struct berr *err)
{
  static const uint16_t need_mount[] = {T_MOUNT, T_DEVICE, T_MASKED, T_READONLY_PATH};
  int r = -1;
  for (size_t i = 0; i < sizeof need_mount / sizeof need_mount[0]; i++)
    if (plan_find(l->plan, need_mount[i])) {
      berr_set(err, EINVAL, "plan: mounts without a mount namespace of the container's: %s",
               plan_str(plan_find(l->plan, need_mount[i]), 0));
      goto out;
    }
  if (strcmp(plan_str(rr, 1), "1") == 0 || plan_find(l->plan, T_TERMINAL)) {
    berr_set(err, EINVAL, "plan: read-only root or terminal without a mount namespace: %s", rootfs);
    goto out;
  }
  if (write_sysctls(l->plan, err) < 0 || hooks_run(l->plan, "createContainer", "creating", l->host_pid, err) < 0)
    goto out;
  if (fchdir(l->rootfd) < 0)
    berr_sys(err, "chdir: %s", rootfs);
  else if (chroot(".") < 0)
    berr_sys(err, "chroot: %s", rootfs);
  else if (chdir("/") < 0)
    berr_sys(err, "chdir: /");
  else
    r = 0;
out:
  close(l->rootfd);
  l->rootfd = -1;
  return r;
}

int rootfs_setup(struct launch *l, struct berr *err)
{
  const struct plan_record *rr = plan_find(l->plan, T_ROOTFS);
  const char *rootfs = plan_str(rr, 0);
  if (!own_mount_ns(l))
    return rootfs_enter_shared(l, rootfs, rr, err);
  int rootfd = l->rootfd;
  bool dev_mounted = false;
  for (const struct plan_record *m = NULL; (m = plan_next(l->plan, T_MOUNT, m));) {
    if (mount_one(l, rootfd, m, err) < 0)
      return -1;
    if (strcmp(plan_str(m, 1), "/dev") == 0)
      dev_mounted = true;
  }
  for (const struct plan_record *d = NULL; (d = plan_next(l->plan, T_DEVICE, d));)
    if (make_device(l, rootfd, d, err) < 0)
      return -1;
  if (dev_mounted && dev_symlinks(rootfd, err) < 0)
    return -1;
  if (hooks_run(l->plan, "createContainer", "creating", l->host_pid, err) < 0)
    return -1;
  int r = do_pivot_root(rootfs, rootfd, strcmp(plan_str(rr, 2), "1") == 0, err);
  close(rootfd);
  l->rootfd = -1;
  return r;
}

static int open_in_new_root(const char *path, int *fd, struct berr *err)
{
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berr_sys(err, "open: /");
  *fd = openat2_in_root(root, path, O_PATH | O_NOFOLLOW);
  int saved = errno;
  close(root);
  if (*fd < 0 && saved == ENOENT)
    return 0;
  if (*fd < 0) {
    errno = saved;
    return berr_sys(err, "open: %s", path);
  }
  return 0;
}

static int mask_path(const char *path, struct berr *err)
{
  int fd;
  if (open_in_new_root(path, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  struct stat st;
  char p[64];
  fdpath(p, sizeof p, fd);
  int r;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    r = mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0");
  else
    r = mount("/dev/null", p, NULL, MS_BIND, NULL);
  close(fd);
  return r < 0 ? berr_sys(err, "mask path: %s", path) : 0;
}

static int readonly_path(const char *path, bool userns, struct berr *err)
{
  int fd;
  if (open_in_new_root(path, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  char p[64];
  fdpath(p, sizeof p, fd);
  int r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
  close(fd);
  if (r < 0)
    return berr_sys(err, "readonly path: %s", path);
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berr_sys(err, "open: /");
  r = remount_bind(root, path, MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, userns, err);
  close(root);
  return r;
}

/* linux.sysctl: /proc/sys/<key, dots as slashes>, resolved beneath /proc/sys without symlinks and
 * written only if both the directory and the file are on procfs (CVE-2019-16884). */
static int write_sysctl(const char *key, const char *value, struct berr *err)
{
  char rel[PATH_MAX];
  snprintf(rel, sizeof rel, "%s", key);
  for (char *c = rel; *c; c++)
    if (*c == '.')
      *c = '/';
  int dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return berr_sys(err, "sysctl %s: open: /proc/sys", key);
  if (check_procfs(dir, "/proc/sys", err) < 0) {
    close(dir);
    return berr_wrap(err, "sysctl %s", key);
  }
  struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int) syscall(SYS_openat2, dir, rel, &how, sizeof how);
  close(dir);
  if (fd < 0)
    return berr_sys(err, "sysctl %s: open: /proc/sys/%s", key, rel);
  int r = check_procfs(fd, rel, err);
  if (r == 0 && write_all(fd, value, strlen(value)) < 0)
    r = berr_sys(err, "sysctl %s: write: %s", key, value);
  close(fd);
  return r < 0 ? berr_wrap(err, "sysctl %s", key) : 0;
}

static int write_sysctls(const struct plan *plan, struct berr *err)
{
  for (const struct plan_record *r = NULL; (r = plan_next(plan, T_SYSCTL, r));)
    if (write_sysctl(plan_str(r, 0), plan_str(r, 1), err) < 0)
      return -1;
  return 0;
}

int rootfs_finish(struct launch *l, struct berr *err)
{
  if (!own_mount_ns(l))
    return 0; /* see rootfs_enter_shared */
  bool userns = l->ns.newflags & CLONE_NEWUSER;
  const struct plan_record *rr = plan_find(l->plan, T_ROOTFS);
  uint64_t prop = 0;
  /* rootfsPropagation, once more on the new "/" (as runc): before pivot it was the host's tree */
  if (*plan_str(rr, 3) && parse_u64(plan_str(rr, 3), &prop, err) == 0 && prop &&
      mount(NULL, "/", NULL, (unsigned long) prop, NULL) < 0)
    return berr_sys(err, "rootfs propagation: 0x%lx", (unsigned long) prop);
  /* sysctls first (as runc): readonlyPaths usually include /proc/sys */
  if (write_sysctls(l->plan, err) < 0)
    return -1;
  for (const struct plan_record *r = NULL; (r = plan_next(l->plan, T_MASKED, r));)
    if (mask_path(plan_str(r, 0), err) < 0)
      return -1;
  for (const struct plan_record *r = NULL; (r = plan_next(l->plan, T_READONLY_PATH, r));)
    if (readonly_path(plan_str(r, 0), userns, err) < 0)
      return -1;
  if (strcmp(plan_str(rr, 1), "1") == 0) {
    unsigned long f = MS_REMOUNT | MS_BIND | MS_RDONLY | (userns ? locked_flags("/") : 0);
    if (mount(NULL, "/", NULL, f, NULL) < 0)
      return berr_sys(err, "remount root read-only: %s", plan_str(rr, 0));
  }
  return 0;
}

/*
 * berth debug (T_DEBUG_ROOT): the exec'd process has joined the container's other namespaces but
 * not its mount namespace; here, in that process before anything else, a mount namespace of its
 * own is made (slave of the host's: nothing mounted here reaches the host, an unmount there reaches
 * here), the tools root (a host path: the tools image's snapshot) is bound onto itself, the
 * T_DEBUG_MOUNTs (T_MOUNT's fields; destinations resolved inside the tools root, as a container's)
 * are made there - the container's own root at /container, a procfs of the container's pid
 * namespace (we are a child of the setns(pid)), /dev - and the process pivots into it. Everything
 * is in the new mount namespace, so it all goes when the session's last process does.
 */
int debug_root_setup(struct launch *l, struct berr *err)
{
  const char *root = plan_get(l->plan, T_DEBUG_ROOT);
  if (!root || *root != '/')
    return berr_set(err, EINVAL, "plan: debug root is not an absolute path: %s", root ? root : "");
  if (own_mount_ns(l))
    return berr_set(err, EINVAL, "plan: a debug root with the container's mount namespace: %s", root);
  if (unshare(CLONE_NEWNS) < 0)
    return berr_sys(err, "debug: unshare mount namespace");
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berr_sys(err, "debug: make / rslave");
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berr_sys(err, "debug: bind tools root: %s", root);
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr_sys(err, "debug: open: %s", root);
  bool dev_mounted = false;
  int r = 0;
  for (const struct plan_record *m = NULL; r == 0 && (m = plan_next(l->plan, T_DEBUG_MOUNT, m));) {
    r = mount_one(l, rootfd, m, err);
    if (r == 0 && strcmp(plan_str(m, 1), "/dev") == 0)
      dev_mounted = true;
  }
  if (r == 0 && dev_mounted)
    r = dev_symlinks(rootfd, err);
  if (r == 0)
    r = do_pivot_root(root, rootfd, false, err);
  close(rootfd);
  return r < 0 ? berr_wrap(err, "debug root %s", root) : 0;
}
