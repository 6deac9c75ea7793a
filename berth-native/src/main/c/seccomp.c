/*
 * seccomp.c - linux.seccomp: install the BPF Java compiled, and hand the notify fd (when the
 * profile uses SCMP_ACT_NOTIFY) to the listener as the runtime-spec's container process state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "berth.h"

int seccomp_connect_listener(const struct plan *plan, int *fd, struct berr *err)
{
  const char *path = plan_get(plan, T_SECCOMP_LISTENER);
  *fd = -1;
  if (!path || !*path)
    return 0;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return berr_set(err, ENAMETOOLONG, "seccomp listener: %s", path);
  strcpy(sa.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return berr_sys(err, "seccomp listener: %s", path);
  if (connect(s, (struct sockaddr *) &sa, sizeof sa) < 0) {
    berr_sys(err, "connect seccomp listener: %s", path);
    close(s);
    return -1;
  }
  *fd = s;
  return 0;
}

static void json_string(char *out, size_t len, const char *in)
{
  size_t o = 0;
  out[o++] = '"';
  for (; *in && o + 8 < len; in++) {
    unsigned char c = (unsigned char) *in;
    if (c == '"' || c == '\\')
      o += (size_t) snprintf(out + o, len - o, "\\%c", c);
    else if (c < 0x20)
      o += (size_t) snprintf(out + o, len - o, "\\u%04x", c);
    else
      out[o++] = (char) c;
  }
  out[o++] = '"';
  out[o] = 0;
}

/* {"ociVersion","fds":["seccompFd"],"pid","metadata","state"} with the fd in SCM_RIGHTS */
static int send_notify_fd(struct launch *l, int notify, struct berr *err)
{
  const struct plan_record *r = plan_find(l->plan, T_SECCOMP_LISTENER);
  char *state = state_json(l->plan, l->exec ? "running" : "creating", l->host_pid);
  char meta[1024];
  json_string(meta, sizeof meta, plan_str(r, 1));
  size_t len = (state ? strlen(state) : 0) + sizeof meta + 128;
  char *msg = malloc(len);
  if (!state || !msg) {
    free(state);
    free(msg);
    return berr_sys(err, "seccomp listener: %s", plan_str(r, 0));
  }
  int n = snprintf(msg, len, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":%s,\"state\":%s}",
                   l->host_pid, meta, state);
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {.iov_base = msg, .iov_len = (size_t) n};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &notify, sizeof notify);
  int ret = 0;
  while (sendmsg(l->listener_fd, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) {
      ret = berr_sys(err, "send seccomp fd: %s", plan_str(r, 0));
      break;
    }
  free(state);
  free(msg);
  return ret;
}

/* Everything the filter needs that may allocate or fail, done before the fifo; seccomp_load is then
 * the one syscall before execve. */
int seccomp_prepare(struct launch *l, struct berr *err)
{
  const struct plan_record *r = plan_find(l->plan, T_SECCOMP);
  if (!r || r->nfields < 1 || r->fields[0].len == 0)
    return 0;
  uint64_t flags = 0;
  if (*plan_str(r, 1) && parse_u64(plan_str(r, 1), &flags, err) < 0)
    return berr_wrap(err, "seccomp flags");
  if (r->fields[0].len % sizeof(struct sock_filter) || r->fields[0].len / sizeof(struct sock_filter) > 0xffff)
    return berr_set(err, EINVAL, "seccomp: program length %u", r->fields[0].len);
  if ((flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && l->listener_fd < 0)
    return berr_set(err, EINVAL, "seccomp: notify without a listener socket: flags %s", plan_str(r, 1));
  /* the plan buffer is only byte aligned: copy */
  struct sock_filter *copy = malloc(r->fields[0].len);
  if (!copy)
    return berr_sys(err, "seccomp");
  memcpy(copy, r->fields[0].data, r->fields[0].len);
  l->seccomp_prog.len = (unsigned short) (r->fields[0].len / sizeof(struct sock_filter));
  l->seccomp_prog.filter = copy;
  l->seccomp_flags = (unsigned) flags;
  return 0;
}

/* Install the prepared filter. Without a listener this is the last syscall before execve; with one
 * (SCMP_ACT_NOTIFY) the notify fd only exists now, so it is sent (and closed) afterwards, as runc. */
int seccomp_load(struct launch *l, struct berr *err)
{
  if (!l->seccomp_prog.filter)
    return 0;
  long ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, l->seccomp_flags, &l->seccomp_prog);
  if (ret < 0)
    return berr_sys(err, "seccomp: install filter (flags %u)", l->seccomp_flags);
  l->seccomp_loaded = true;
  if (l->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    int notify = (int) ret;
    int s = send_notify_fd(l, notify, err);
    close(notify);
    close(l->listener_fd);
    l->listener_fd = -1;
    if (s < 0)
      return -1;
  }
  return 0;
}
