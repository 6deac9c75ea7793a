/*
 * io.c - the monitor keeps the container's stdio (T_LOG_JSON, T_CONTROL_SOCKET, T_OPEN_STDIN):
 * stdout and stderr are pipes (or the pty) the monitor reads into Docker's json-file log, stdin is
 * /dev/null or a pipe (or the pty) fed from the control socket's frames. docs/plan-format.md,
 * "The monitor's stdio", is the contract with the daemon.
 *
 * One monitor per container: everything here is static, allocated once, small (the buffers are
 * BSS: only the pages a container's output touches become resident).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "berth.h"

#define LINE_MAX_BYTES (16 * 1024) /* Docker's split: longer lines become partial entries */
#define STDIN_BUF (16 * 1024)      /* bounded: a full buffer stops reading the client sending data */
#define MAX_CLIENTS 16
#define DRAIN_IDLE_MS 2000         /* after the process ended: output stops this long = nobody left writing */
#define DRAIN_MAX_S 30             /* ... and never longer than this (something outside the pid namespace writing on) */

enum { FRAME_STDIN = 0, FRAME_CLOSE = 1, FRAME_RESIZE = 2 };

struct stream {
  int fd; /* monitor's read end (or the pty master), -1 at EOF */
  const char *name;
  size_t len;
  char line[LINE_MAX_BYTES];
};

struct client {
  int fd;
  unsigned char hdr[5];
  unsigned hlen;
  uint32_t remain; /* payload bytes still to read of the current frame */
  unsigned char pay[4];
  unsigned plen;
};

static struct {
  bool active;
  bool tty;
  bool open_stdin;
  int log_fd;
  int listen_fd;
  char sock_path[108];
  bool sock_made;
  int in_fd; /* stdin pipe's write end or the pty master; -1 when none or closed */
  bool in_close_pending;
  size_t in_len;
  struct client clients[MAX_CLIENTS];
  size_t ob_len;
} io = {.log_fd = -1, .listen_fd = -1, .in_fd = -1};

/* zero-initialized (BSS): resident only as far as they are used */
static struct stream streams[2];
static char in_buf[STDIN_BUF];
static char ob[LINE_MAX_BYTES * 6 + 4096]; /* one worst-case entry (\u00XX for every byte) and more */

bool io_requested(const struct plan *plan)
{
  return plan_find(plan, T_LOG_JSON) || plan_find(plan, T_CONTROL_SOCKET) || plan_find(plan, T_OPEN_STDIN);
}

/* ---- the json-file log ---- */

static void ob_flush(void)
{
  if (io.ob_len && io.log_fd >= 0 && write_all(io.log_fd, ob, io.ob_len) == 0) /* a full disk loses log lines, never blocks the container */
    logfile_wrote(io.ob_len);
  io.ob_len = 0;
}

static void ob_put(const char *s, size_t n)
{
  memcpy(ob + io.ob_len, s, n);
  io.ob_len += n;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid (Go's utf8.DecodeRune). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    need = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < need || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < need; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return need;
}

/* Docker's escaping (jsonlog.ffjsonWriteJSONBytesAsString): \" \\ \n \r, \u00XX for other control
 * characters and < > &, \ufffd for each invalid byte, \u2028 and \u2029 escaped. */
static void ob_json_string(const char *data, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *) data;
  size_t i = 0, start = 0;
  ob[io.ob_len++] = '"';
  while (i < n) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        i++;
        continue;
      }
      ob_put(data + start, i - start);
      char e[6] = {'\\', 'u', '0', '0', hex[b >> 4], hex[b & 15]};
      if (b == '\\' || b == '"') {
        e[1] = (char) b;
        ob_put(e, 2);
      } else if (b == '\n' || b == '\r') {
        e[1] = b == '\n' ? 'n' : 'r';
        ob_put(e, 2);
      } else
        ob_put(e, 6);
      start = ++i;
      continue;
    }
    size_t len = utf8_len(s + i, n - i);
    if (len == 0) {
      ob_put(data + start, i - start);
      ob_put("\\ufffd", 6);
      start = ++i;
      continue;
    }
    if (len == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      ob_put(data + start, i - start);
      ob_put(s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      start = i + 3;
    }
    i += len;
  }
  ob_put(data + start, n - start);
  ob[io.ob_len++] = '"';
}

static char *put_digits(char *p, unsigned long v, int width)
{
  for (int i = width - 1; i >= 0; i--, v /= 10)
    p[i] = (char) ('0' + v % 10);
  return p + width;
}

/* "2026-12-05T05:40:00.123456789Z": RFC 3339, 9 fraction digits, UTC (Docker's RFC3339NanoFixed).
 * By hand (days to civil date, H. Hinnant's algorithm): no stdio or tz code in the monitor's loop. */
static size_t format_time(char *out, const struct timespec *ts)
{
  long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
  long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  char *p = out;
  p = put_digits(p, (unsigned long) y, 4);
  *p++ = '-';
  p = put_digits(p, (unsigned long) m, 2);
  *p++ = '-';
  p = put_digits(p, (unsigned long) d, 2);
  *p++ = 'T';
  p = put_digits(p, (unsigned long) (secs / 3600), 2);
  *p++ = ':';
  p = put_digits(p, (unsigned long) (secs / 60 % 60), 2);
  *p++ = ':';
  p = put_digits(p, (unsigned long) (secs % 60), 2);
  *p++ = '.';
  p = put_digits(p, (unsigned long) ts->tv_nsec, 9);
  *p++ = 'Z';
  return (size_t) (p - out);
}

/* {"log":"...","stream":"stdout","time":"2026-12-05T05:40:00.123456789Z"}\n, as Docker writes it.
 * Written out in pieces of about 8 KiB, so that only the start of the buffer is ever resident. */
static void log_entry(const char *stream, const char *data, size_t n)
{
  if (logfile_full(io.ob_len)) { /* max-size reached: rotate before this entry (logfile.c) */
    ob_flush();
    io.log_fd = logfile_rotate(io.log_fd);
  }
  if (io.ob_len + n * 6 + 128 > sizeof ob)
    ob_flush();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ob_put("{\"log\":", 7);
  ob_json_string(data, n);
  ob_put(",\"stream\":\"", 11);
  ob_put(stream, strlen(stream));
  ob_put("\",\"time\":\"", 10);
  io.ob_len += format_time(ob + io.ob_len, &ts);
  ob_put("\"}\n", 3);
  if (io.ob_len >= 8192)
    ob_flush();
}

/* Lines end at '\n' (kept) or at LINE_MAX_BYTES (a partial entry without '\n'); the rest waits. */
static void stream_feed(struct stream *s, const char *buf, size_t n)
{
  while (n) {
    size_t room = LINE_MAX_BYTES - s->len, take = n < room ? n : room;
    const char *nl = memchr(buf, '\n', take);
    if (nl)
      take = (size_t) (nl - buf) + 1;
    memcpy(s->line + s->len, buf, take);
    s->len += take;
    buf += take;
    n -= take;
    if (nl || s->len == LINE_MAX_BYTES) {
      log_entry(s->name, s->line, s->len);
      s->len = 0;
    }
  }
}

static void stream_read(struct stream *s)
{
  char buf[16384];
  for (int round = 0; round < 4; round++) {
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n > 0) {
      stream_feed(s, buf, (size_t) n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || errno != EAGAIN) { /* EOF; EIO: the pty's last peer closed */
      if (s->len)
        log_entry(s->name, s->line, s->len);
      s->len = 0;
      if (io.in_fd == s->fd)
        io.in_fd = -1; /* the pty master: stdin ends with it */
      close(s->fd);
      s->fd = -1;
    }
    break;
  }
  ob_flush();
}

/* ---- stdin and the control socket ---- */

static void stdin_close_now(void)
{
  if (io.in_fd < 0)
    return;
  if (io.tty) {
    /* a pty has no half-close: the line discipline's EOF character (^D by default) */
    struct termios t;
    char eof = 4;
    if (tcgetattr(io.in_fd, &t) == 0 && t.c_cc[VEOF])
      eof = (char) t.c_cc[VEOF];
    if (write(io.in_fd, &eof, 1) < 0 && errno == EAGAIN)
      return; /* full: retried when writable */
    io.in_fd = -1; /* the master stays open for output (out[0]) */
  } else {
    close(io.in_fd);
    io.in_fd = -1;
  }
  io.in_close_pending = false;
}

static void stdin_flush(void)
{
  while (io.in_fd >= 0 && io.in_len) {
    ssize_t n = write(io.in_fd, in_buf, io.in_len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) { /* EPIPE: nobody reads stdin any more; the data is dropped */
      if (!io.tty)
        close(io.in_fd);
      io.in_fd = -1;
      io.in_len = 0;
      return;
    }
    memmove(in_buf, in_buf + n, io.in_len - (size_t) n);
    io.in_len -= (size_t) n;
  }
  if (io.in_len == 0 && io.in_close_pending)
    stdin_close_now();
}

static void client_drop(struct client *c)
{
  close(c->fd);
  c->fd = -1;
}

static bool stdin_wanted(void)
{
  return io.open_stdin && io.in_fd >= 0 && !io.in_close_pending;
}

/* Whether to poll c for input: not while it is in a stdin frame and the buffer is full. */
static bool client_readable(const struct client *c)
{
  return !(c->hlen == 5 && c->hdr[0] == FRAME_STDIN && c->remain && stdin_wanted() && io.in_len == STDIN_BUF);
}

static void frame_done(struct client *c)
{
  if (c->hdr[0] == FRAME_CLOSE) {
    if (io.open_stdin && io.in_fd >= 0)
      io.in_close_pending = true;
    stdin_flush();
  } else if (c->hdr[0] == FRAME_RESIZE && io.tty && streams[0].fd >= 0) {
    struct winsize ws = {.ws_row = (unsigned short) (c->pay[0] << 8 | c->pay[1]),
                         .ws_col = (unsigned short) (c->pay[2] << 8 | c->pay[3])};
    ioctl(streams[0].fd, TIOCSWINSZ, &ws);
  }
  c->hlen = 0;
  c->plen = 0;
}

/* One read from the client: header bytes, or payload. A bad frame or a hang-up drops the client. */
static void client_read(struct client *c)
{
  ssize_t n;
  if (c->hlen < 5) {
    n = read(c->fd, c->hdr + c->hlen, 5 - c->hlen);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR))
        client_drop(c);
      return;
    }
    c->hlen += (unsigned) n;
    if (c->hlen < 5)
      return;
    c->remain = (uint32_t) c->hdr[1] << 24 | (uint32_t) c->hdr[2] << 16 | (uint32_t) c->hdr[3] << 8 | c->hdr[4];
    if (c->hdr[0] > FRAME_RESIZE || (c->hdr[0] == FRAME_CLOSE && c->remain != 0) ||
        (c->hdr[0] == FRAME_RESIZE && c->remain != 4)) {
      client_drop(c);
      return;
    }
    if (c->remain == 0)
      frame_done(c);
    return;
  }
  if (c->hdr[0] == FRAME_RESIZE) {
    n = read(c->fd, c->pay + c->plen, c->remain);
  } else if (stdin_wanted()) {
    size_t room = STDIN_BUF - io.in_len;
    n = read(c->fd, in_buf + io.in_len, c->remain < room ? c->remain : room);
    if (n > 0)
      io.in_len += (size_t) n;
  } else {
    char scratch[4096]; /* nobody to give it to: read and dropped */
    n = read(c->fd, scratch, c->remain < sizeof scratch ? c->remain : sizeof scratch);
  }
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
      client_drop(c);
    return;
  }
  if (c->hdr[0] == FRAME_RESIZE)
    c->plen += (unsigned) n;
  c->remain -= (uint32_t) n;
  if (c->hdr[0] == FRAME_STDIN)
    stdin_flush();
  if (c->remain == 0)
    frame_done(c);
}

static void client_accept(void)
{
  int fd = accept4(io.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (io.clients[i].fd < 0) {
      memset(&io.clients[i], 0, sizeof io.clients[i]);
      io.clients[i].fd = fd;
      return;
    }
  close(fd); /* too many at once */
}

static int listen_control(const char *path, struct berr *err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return berr_set(err, ENAMETOOLONG, "control socket: %s", path);
  strcpy(sa.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0)
    return berr_sys(err, "control socket: %s", path);
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path); /* a monitor's that was killed (a restart of the same container) */
  mode_t old = umask(0177);
  int r = bind(s, (struct sockaddr *) &sa, sizeof sa);
  umask(old);
  if (r < 0) {
    berr_sys(err, "bind control socket: %s", path);
    close(s);
    return -1;
  }
  strcpy(io.sock_path, path);
  io.sock_made = true;
  if (chmod(path, 0600) < 0 || listen(s, 16) < 0) {
    berr_sys(err, "listen control socket: %s", path);
    close(s);
    return -1;
  }
  io.listen_fd = s;
  return 0;
}

static int nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * In the monitor, before the init is cloned: the log (created 0640, appended), the control
 * socket (0600, listening before the launcher reports success), and the init's stdio ends.
 */
int io_prepare(struct launch *l, struct berr *err)
{
  for (int i = 0; i < 3; i++)
    l->child_stdio[i] = -1;
  for (int i = 0; i < MAX_CLIENTS; i++)
    io.clients[i].fd = -1;
  streams[0].fd = streams[1].fd = -1;
  if (!io_requested(l->plan))
    return 0;
  const char *log = plan_get(l->plan, T_LOG_JSON), *sock = plan_get(l->plan, T_CONTROL_SOCKET);
  if (!l->monitor || !l->run)
    return berr_set(err, EINVAL, "plan: monitor-kept stdio (T_LOG_JSON) without a detached run (T_MONITOR)");
  if (!log || !*log || !sock || !*sock)
    return berr_set(err, EINVAL, "plan: monitor-kept stdio needs both T_LOG_JSON and T_CONTROL_SOCKET");
  if (plan_get(l->plan, T_CONSOLE_SOCKET))
    return berr_set(err, EINVAL, "plan: T_LOG_JSON and T_CONSOLE_SOCKET exclude each other");
  io.active = true;
  io.tty = plan_find(l->plan, T_TERMINAL) != NULL;
  io.open_stdin = plan_find(l->plan, T_OPEN_STDIN) != NULL;
  streams[0].name = "stdout";
  streams[1].name = "stderr";
  if ((io.log_fd = logfile_open(l->plan, log, err)) < 0)
    return -1;
  if (listen_control(sock, err) < 0)
    return -1;
  if (io.tty)
    return 0; /* the pty is all three; its master comes with the init's READY */
  int p[2];
  for (int i = 0; i < 2; i++) {
    if (pipe2(p, O_CLOEXEC) < 0)
      return berr_sys(err, "pipe: container %s", streams[i].name);
    streams[i].fd = p[0];
    l->child_stdio[1 + i] = p[1];
    nonblock(p[0]);
  }
  if (io.open_stdin) {
    if (pipe2(p, O_CLOEXEC) < 0)
      return berr_sys(err, "pipe: container stdin");
    l->child_stdio[0] = p[0];
    io.in_fd = p[1];
    nonblock(p[1]);
  } else if ((l->child_stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
    return berr_sys(err, "open: /dev/null");
  }
  return 0;
}

/* In the init, first thing: its stdio becomes the monitor's pipes (not close-on-exec). */
int io_child(struct launch *l, struct berr *err)
{
  for (int i = 0; i < 3; i++) {
    if (l->child_stdio[i] < 0)
      continue;
    if (dup2(l->child_stdio[i], i) < 0)
      return berr_sys(err, "dup container stdio: %d", i);
  }
  for (int i = 0; i < 3; i++)
    if (l->child_stdio[i] > 2)
      close(l->child_stdio[i]);
  return 0;
}

/* In the monitor once the init is cloned: only the init holds its ends (EOF comes when it is gone). */
void io_after_clone(struct launch *l)
{
  for (int i = 0; i < 3; i++)
    if (l->child_stdio[i] >= 0) {
      close(l->child_stdio[i]);
      l->child_stdio[i] = -1;
    }
}

/* The monitor's end: the control socket goes (on failure too), the log stays. */
void io_cleanup(void)
{
  if (io.sock_made)
    unlink(io.sock_path);
  io.sock_made = false;
  if (io.listen_fd >= 0)
    close(io.listen_fd);
  io.listen_fd = -1;
}

/* The keeper, after the monitor was killed: the socket nobody listens on any more. */
void io_cleanup_plan(const struct plan *plan)
{
  const char *sock = plan_get(plan, T_CONTROL_SOCKET);
  struct stat st;
  if (sock && lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(sock);
}

bool io_active(void)
{
  return io.active;
}

/*
 * The monitor's loop with monitor-kept stdio: output to the log, frames from the control socket
 * to stdin, signals forwarded; after the process ended, its output drained to EOF (the log is
 * complete, and written out, before the caller writes the exit file). Never blocks on anyone.
 */
int io_wait(struct launch *l, int *status_out, struct berr *err)
{
  if (io.tty && l->pty_master >= 0) {
    nonblock(l->pty_master);
    streams[0].fd = l->pty_master;
    if (io.open_stdin)
      io.in_fd = l->pty_master;
    l->pty_master = -1;
  }
  sigset_t set;
  sigprocmask(SIG_BLOCK, NULL, &set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return berr_sys(err, "signalfd");
  bool done = false;
  struct timespec done_at = {0, 0};
  int status = 0;
  enum { P_SIG, P_OUT, P_ERR, P_IN, P_LISTEN, P_CLIENT };
  struct pollfd p[P_CLIENT + MAX_CLIENTS];
  for (;;) {
    if (done && streams[0].fd < 0 && streams[1].fd < 0)
      break;
    p[P_SIG] = (struct pollfd){done ? -1 : sfd, POLLIN, 0};
    p[P_OUT] = (struct pollfd){streams[0].fd, POLLIN, 0};
    p[P_ERR] = (struct pollfd){streams[1].fd, POLLIN, 0};
    /* the pty master is polled for output already: its writability through P_IN on a dup'd slot */
    p[P_IN] = (struct pollfd){!done && io.in_fd >= 0 && (io.in_len || io.in_close_pending) ? io.in_fd : -1, POLLOUT, 0};
    p[P_LISTEN] = (struct pollfd){done ? -1 : io.listen_fd, POLLIN, 0};
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &io.clients[i];
      p[P_CLIENT + i] = (struct pollfd){!done && c->fd >= 0 && client_readable(c) ? c->fd : -1, POLLIN, 0};
    }
    int n = poll(p, P_CLIENT + MAX_CLIENTS, done ? DRAIN_IDLE_MS : -1);
    if (n < 0 && errno != EINTR) {
      close(sfd);
      return berr_sys(err, "poll");
    }
    if (n == 0 && done)
      break; /* output stopped without EOF: a process outside the container's pid namespace holds it */
    if (done) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - done_at.tv_sec > DRAIN_MAX_S)
        break;
    }
    if (n <= 0)
      continue;
    for (int i = 0; i < 2; i++)
      if (p[P_OUT + i].revents && streams[i].fd >= 0)
        stream_read(&streams[i]);
    if (p[P_IN].revents)
      stdin_flush();
    if (p[P_LISTEN].revents)
      client_accept();
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (p[P_CLIENT + i].revents && io.clients[i].fd >= 0)
        client_read(&io.clients[i]);
    if (!done && p[P_SIG].revents) {
      int r = monitor_signals(l, sfd, &status, err);
      if (r < 0) {
        close(sfd);
        return -1;
      }
      done = r == 1;
      if (done)
        clock_gettime(CLOCK_MONOTONIC, &done_at);
    }
  }
  close(sfd);
  for (int i = 0; i < 2; i++)
    if (streams[i].fd >= 0) {
      if (streams[i].len)
        log_entry(streams[i].name, streams[i].line, streams[i].len);
      close(streams[i].fd);
      streams[i].fd = -1;
    }
  ob_flush();
  if (io.log_fd >= 0)
    fdatasync(io.log_fd); /* complete and on disk before the exit file says so */
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (io.clients[i].fd >= 0)
      client_drop(&io.clients[i]);
  io_cleanup();
  *status_out = status;
  return 0;
}
