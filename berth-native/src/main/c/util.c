/* util.c - small file helpers: atomic writes, procfs checks. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "berth.h"

int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, struct berr *err)
{
  int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berr_sys(err, "open: %s", path);
  if (write_all(fd, data, strlen(data)) < 0) {
    berr_sys(err, "write: %s: %s", path, data);
    close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, struct berr *err)
{
  char tmp[4096];
  snprintf(tmp, sizeof tmp, ".%s.tmp%d", name, getpid());
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berr_sys(err, "write file: %s", tmp);
  if (write_all(fd, data, strlen(data)) < 0 || fsync(fd) < 0) {
    berr_sys(err, "write file: %s", tmp);
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  close(fd);
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    berr_sys(err, "rename: %s", name);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

int dirfd_and_base(const char *path, int *dirfd, const char **base, struct berr *err)
{
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(dir, sizeof dir, ".");
    *base = path;
  } else {
    snprintf(dir, sizeof dir, "%.*s", (int) (slash - path) ? (int) (slash - path) : 1, path);
    *base = slash + 1;
  }
  *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0)
    return berr_sys(err, "open dir: %s", dir);
  return 0;
}

int write_file_atomic(const char *path, const char *data, struct berr *err)
{
  int dfd;
  const char *base;
  if (dirfd_and_base(path, &dfd, &base, err) < 0)
    return -1;
  int ret = write_file_atomic_at(dfd, base, data, err);
  close(dfd);
  if (ret < 0)
    return berr_wrap(err, "%s", path);
  return 0;
}

/* Field 22 of /proc/self/stat: this process's start time in clock ticks since boot. */
static unsigned long long self_start_ticks(void)
{
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  unsigned long long v = 0;
  /* after ") ": state is field 3, starttime field 22 */
  for (int field = 2; p && *p; p++) {
    if (*p != ' ')
      continue;
    if (++field == 22) {
      v = strtoull(p + 1, NULL, 10);
      break;
    }
  }
  return v;
}

/*
 * <dir>/<name> = "<pid> <start ticks>": who may still write into a state directory (the launcher
 * of a create not yet finished: "creator"; a detached container's monitor: "monitor"). delete
 * stops or waits for it before removing the directory; the start time guards against pid reuse.
 */
int write_proc_record(const char *dir, const char *name, struct berr *err)
{
  char path[4096], buf[64];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(buf, sizeof buf, "%d %llu\n", getpid(), self_start_ticks());
  return write_file_atomic(path, buf, err);
}

/* CVE-2019-16884: whatever we write under /proc must really be procfs. */
int check_procfs(int fd, const char *what, struct berr *err)
{
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0)
    return berr_sys(err, "statfs: %s", what);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return berr_set(err, EPERM, "not on procfs: %s", what);
  return 0;
}

int write_proc_file(const char *path, const char *data, struct berr *err)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return berr_sys(err, "open: %s", path);
  if (check_procfs(fd, path, err) < 0) {
    close(fd);
    return -1;
  }
  if (write_all(fd, data, strlen(data)) < 0) {
    berr_sys(err, "write: %s: %s", path, data);
    close(fd);
    return -1;
  }
  close(fd);
  return 0;
}
