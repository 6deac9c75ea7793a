/*
 * clone_binary.c - CVE-2019-5736: run from a sealed memfd copy of ourselves, so that nothing in a
 * container can reach the host binary for writing through /proc/<pid>/exe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "berth.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool is_sealed(int fd)
{
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

int ensure_cloned_binary(char **argv, struct berr *err)
{
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return berr_sys(err, "prctl: PR_SET_DUMPABLE");
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return berr_sys(err, "open: /proc/self/exe");
  if (is_sealed(exe)) {
    close(exe);
    return 0;
  }
  struct stat st;
  if (fstat(exe, &st) < 0) {
    close(exe);
    return berr_sys(err, "stat: /proc/self/exe");
  }
  int mfd = memfd_create("berth-launch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) {
    close(exe);
    return berr_sys(err, "memfd_create: berth-launch");
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, exe, NULL, (size_t) left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      berr_sys(err, "copy binary: /proc/self/exe");
      goto fail;
    }
    left -= n;
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
    berr_sys(err, "seal memfd: berth-launch");
    goto fail;
  }
  close(exe);
  fexecve(mfd, argv, environ);
  berr_sys(err, "fexecve: memfd berth-launch");
  close(mfd);
  return -1;
fail:
  close(exe);
  close(mfd);
  return -1;
}
