/* terminal.c - process.terminal: a pty opened inside the container, its master sent out or relayed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "berth.h"

static struct termios saved_tio;
static bool tio_saved;

int terminal_connect_console(const struct plan *plan, int *fd, struct berr *err)
{
  const char *path = plan_get(plan, T_CONSOLE_SOCKET);
  *fd = -1;
  if (!path || !*path)
    return 0;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return berr_set(err, ENAMETOOLONG, "console socket: %s", path);
  strcpy(sa.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return berr_sys(err, "console socket: %s", path);
  if (connect(s, (struct sockaddr *) &sa, sizeof sa) < 0) {
    berr_sys(err, "connect console socket: %s", path);
    close(s);
    return -1;
  }
  *fd = s;
  return 0;
}

static int send_master(int sock, int master, const char *name, struct berr *err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {.iov_base = (void *) name, .iov_len = strlen(name)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof master);
  while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return berr_sys(err, "send pty master: %s", name);
  return 0;
}

/* /dev/console is the pty, as with runc and crun: a bind mount of the peer onto /dev/console. */
static int bind_console(int slave, struct berr *err)
{
  int dev = open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dev < 0)
    return errno == ENOENT ? 0 : berr_sys(err, "open: /dev");
  int fd = openat(dev, "console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    fd = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  close(dev);
  if (fd < 0)
    return berr_sys(err, "create: /dev/console");
  char src[64], dst[64];
  snprintf(src, sizeof src, "/proc/self/fd/%d", slave);
  snprintf(dst, sizeof dst, "/proc/self/fd/%d", fd);
  int r = mount(src, dst, NULL, MS_BIND, NULL);
  close(fd);
  return r < 0 ? berr_sys(err, "bind pty on /dev/console") : 0;
}

int terminal_setup(struct launch *l, struct berr *err)
{
  const struct plan_record *t = plan_find(l->plan, T_TERMINAL);
  if (!t)
    return 0;
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return berr_sys(err, "open pty: /dev/ptmx");
  int unlock = 0, ptn = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0) {
    berr_sys(err, "unlock pty: /dev/ptmx");
    goto fail;
  }
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) {
    berr_sys(err, "open pty peer: /dev/pts/%d", ptn);
    goto fail;
  }
  uint64_t rows = 0, cols = 0;
  parse_u64(plan_str(t, 0), &rows, err);
  parse_u64(plan_str(t, 1), &cols, err);
  if (rows || cols) {
    struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
    ioctl(slave, TIOCSWINSZ, &ws);
  } else if (l->console_fd < 0) {
    /* No size given and the launcher relays (run, exec): the size of the terminal it was started
     * on (still our fd 0), before the process can run - the relay's later copy could come after
     * the process has read it. Not a terminal: left as it is. */
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
      ioctl(slave, TIOCSWINSZ, &ws);
  }
  const struct plan_record *u = plan_find(l->plan, T_USER);
  if (u) {
    uint64_t uid;
    if (parse_u64(plan_str(u, 0), &uid, err) == 0 && fchown(slave, (uid_t) uid, (gid_t) -1) < 0) {
      /* best effort (an unmapped uid): the process keeps its open fds either way */
    }
  }
  if (!l->exec && bind_console(slave, err) < 0)
    goto fail_slave;
  if (setsid() < 0 && errno != EPERM) {
    berr_sys(err, "setsid: pty");
    goto fail_slave;
  }
  if (ioctl(slave, TIOCSCTTY, 0) < 0) {
    berr_sys(err, "set controlling terminal: /dev/pts/%d", ptn);
    goto fail_slave;
  }
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) {
      berr_sys(err, "dup pty: /dev/pts/%d", ptn);
      goto fail_slave;
    }
  if (slave > 2)
    close(slave);
  char name[64];
  snprintf(name, sizeof name, "/dev/pts/%d", ptn);
  int r = l->console_fd >= 0 ? send_master(l->console_fd, master, name, err)
                             : sync_send(l->sync_child, SYNC_PTY, 0, master, err);
  close(master);
  if (l->console_fd >= 0) {
    close(l->console_fd);
    l->console_fd = -1;
  }
  return r;
fail_slave:
  close(slave);
fail:
  close(master);
  return -1;
}

int terminal_relay_prepare(int master, struct berr *err)
{
  if (isatty(0)) {
    struct termios raw;
    if (tcgetattr(0, &saved_tio) == 0) {
      tio_saved = true;
      raw = saved_tio;
      cfmakeraw(&raw);
      if (tcsetattr(0, TCSANOW, &raw) < 0)
        return berr_sys(err, "raw mode: stdin");
    }
    terminal_resize_from(0, master);
  }
  return 0;
}

void terminal_resize_from(int from, int master)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

void terminal_restore(void)
{
  if (tio_saved)
    tcsetattr(0, TCSANOW, &saved_tio);
  tio_saved = false;
}
