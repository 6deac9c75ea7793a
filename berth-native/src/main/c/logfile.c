/*
 * logfile.c - the json-file log's rotation (T_LOG_ROTATE), done by the monitor itself so that it
 * goes on while berthd is down. Docker's json-file semantics (moby loggerutils.LogFile, compress
 * false): before an entry is written, if the file has reached max-size, it is rotated: with
 * max-file >= 2, LOG.N-2 -> LOG.N-1, ..., LOG -> LOG.1 and a new empty LOG; with max-file 1 the
 * file is truncated. So a file exceeds max-size by at most one entry and at most max-file files
 * exist. The path never disappears: the new file is made beside it and swapped in with
 * renameat2(RENAME_EXCHANGE), then the old one (now under the temporary name) becomes LOG.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "berth.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static struct {
  uint64_t max_size; /* 0: no rotation */
  uint64_t max_file;
  uint64_t size; /* bytes in the current file (its size at open plus what was written) */
  char path[PATH_MAX];
} lf;

int logfile_open(const struct plan *plan, const char *path, struct berr *err)
{
  const struct plan_record *r = plan_find(plan, T_LOG_ROTATE);
  if (r) {
    if (parse_u64(plan_str(r, 0), &lf.max_size, err) < 0 || parse_u64(plan_str(r, 1), &lf.max_file, err) < 0)
      return berr_wrap(err, "plan: T_LOG_ROTATE");
    if (lf.max_file < 1 || lf.max_file > 1000000)
      return berr_set(err, EINVAL, "plan: T_LOG_ROTATE max files: %s", plan_str(r, 1));
    if (strlen(path) + 16 >= sizeof lf.path)
      return berr_set(err, ENAMETOOLONG, "container log: %s", path);
  }
  snprintf(lf.path, sizeof lf.path, "%s", path);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0)
    return berr_sys(err, "container log: %s", path);
  fchmod(fd, 0640);
  struct stat st;
  lf.size = fstat(fd, &st) == 0 ? (uint64_t) st.st_size : 0;
  return fd;
}

bool logfile_full(size_t pending)
{
  return lf.max_size && lf.size + pending >= lf.max_size;
}

void logfile_wrote(size_t n)
{
  lf.size += n;
}

static void numbered(char *out, size_t cap, uint64_t i)
{
  snprintf(out, cap, "%s.%llu", lf.path, (unsigned long long) i);
}

/* Rotates (nothing must be buffered for fd); returns the descriptor to write to from now on. A
 * failure keeps the current file (the next entry tries again only after another max-size). */
int logfile_rotate(int fd)
{
  lf.size = 0;
  if (lf.max_file < 2) {
    if (ftruncate(fd, 0) < 0)
      lf.size = 0; /* nothing else to do: the next max-size tries again */
    return fd;
  }
  char from[PATH_MAX + 32], to[PATH_MAX + 32], tmp[PATH_MAX + 32];
  snprintf(tmp, sizeof tmp, "%s.rotating", lf.path);
  unlink(tmp);
  int nfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (nfd < 0)
    return fd;
  fchmod(nfd, 0640);
  numbered(to, sizeof to, lf.max_file - 1);
  unlink(to);
  for (uint64_t i = lf.max_file - 1; i > 1; i--) {
    numbered(to, sizeof to, i);
    numbered(from, sizeof from, i - 1);
    rename(from, to); /* ENOENT: fewer files so far */
  }
  numbered(to, sizeof to, 1);
  if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, lf.path, RENAME_EXCHANGE) == 0) {
    rename(tmp, to); /* the old file, swapped out under the temporary name */
  } else if (rename(lf.path, to) < 0 || rename(tmp, lf.path) < 0) {
    unlink(tmp);
    close(nfd);
    return fd;
  }
  close(fd);
  return nfd;
}
