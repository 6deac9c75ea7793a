/* sync.c - messages between the launcher (or monitor) and the process it set up. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "berth.h"

int sync_send(int fd, int type, int64_t value, int passfd, struct berr *err)
{
  struct sync_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.value = value;
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (passfd >= 0) {
    memset(&u, 0, sizeof u);
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  }
  while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR)
      return berr_sys(err, "sync: send message %d", type);
  }
  return 0;
}

int sync_send_error(int fd, const struct berr *e)
{
  struct sync_msg m;
  memset(&m, 0, sizeof m);
  m.type = SYNC_ERROR;
  m.errnum = e->errnum;
  memcpy(m.text, e->msg, sizeof m.text - 1);
  return send(fd, &m, sizeof m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int sync_recv(int fd, struct sync_msg *msg, int *passfd, struct berr *err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {.iov_base = msg, .iov_len = sizeof *msg};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (passfd)
    *passfd = -1;
  ssize_t n;
  while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR)
      return berr_sys(err, "sync: receive");
  }
  if (n == 0)
    return 1;
  if ((size_t) n != sizeof *msg)
    return berr_set(err, EPROTO, "sync: short message (%zd bytes)", n);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof got);
      if (passfd)
        *passfd = got;
      else
        close(got);
    }
  }
  msg->text[sizeof msg->text - 1] = 0;
  return 0;
}

/* In the launcher after the fork: closes the sync socket's child end, the console socket and the
   seccomp listener socket, which only the child uses. */
void sync_drop_child_ends(struct launch *l)
{
  close(l->sync_child);
  l->sync_child = -1;
  if (l->console_fd >= 0) {
    close(l->console_fd);
    l->console_fd = -1;
  }
  if (l->listener_fd >= 0) {
    close(l->listener_fd);
    l->listener_fd = -1;
  }
}

/* Waits for the child's READY, taking its pty master on the way; its ERROR becomes ours. */
int sync_await_ready(struct launch *l, const char *who, struct berr *err)
{
  for (;;) {
    struct sync_msg m;
    int fd, r = sync_recv(l->sync_parent, &m, &fd, err);
    if (r < 0)
      return -1;
    if (r == 1)
      return berr_set(err, 0, "%s exited during setup", who);
    if (m.type == SYNC_PTY)
      l->pty_master = fd;
    else if (m.type == SYNC_ERROR)
      return berr_set(err, m.errnum, "%s", m.text);
    else if (m.type == SYNC_READY)
      return 0;
  }
}
