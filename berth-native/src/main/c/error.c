/* error.c - the error out-parameter and the error log (stderr line, T_LOG file, runc json shape). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "berth.h"

static int log_fd = -1;
static bool log_json;

int berr_set(struct berr *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  err->errnum = errnum;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

int berr_sys(struct berr *err, const char *fmt, ...)
{
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  err->errnum = saved;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  errno = saved;
  return -1;
}

int berr_wrap(struct berr *err, const char *fmt, ...)
{
  char prefix[512], old[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
  return -1;
}

void berr_format(const struct berr *err, char *buf, size_t len)
{
  if (err->errnum)
    snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
  else
    snprintf(buf, len, "%s", err->msg);
}

void log_init(const struct plan *plan)
{
  const struct plan_record *r = plan_find(plan, T_LOG);
  if (!r || !*plan_str(r, 0))
    return;
  log_fd = open(plan_str(r, 0), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  log_json = strcmp(plan_str(r, 1), "json") == 0;
}

void log_open(const char *path, bool json)
{
  log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  log_json = json;
}

static void json_escape(const char *in, char *out, size_t len)
{
  size_t o = 0;
  for (; *in && o + 7 < len; in++) {
    unsigned char c = (unsigned char) *in;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char) c;
    } else if (c < 0x20) {
      o += (size_t) snprintf(out + o, len - o, "\\u%04x", c);
    } else {
      out[o++] = (char) c;
    }
  }
  out[o] = 0;
}

static void log_line(const char *level, const char *text);

void log_error_text(const char *text) { log_line("error", text); }

void log_warning(const struct berr *err)
{
  char text[1280];
  berr_format(err, text, sizeof text);
  log_line("warning", text);
}

static void log_line(const char *level, const char *text)
{
  char line[2300];
  bool warn = strcmp(level, "warning") == 0;
  int n = snprintf(line, sizeof line, "berth-runc: %s%s\n", warn ? "warning: " : "", text);
  if (n > 0)
    write_all(2, line, (size_t) n < sizeof line ? (size_t) n : sizeof line - 1);
  if (log_fd < 0)
    return;
  if (log_json) {
    char esc[2048], ts[64];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    json_escape(text, esc, sizeof esc);
    n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s.%09ldZ\"}\n", level, esc, ts,
                 now.tv_nsec);
  }
  if (n > 0)
    write_all(log_fd, line, (size_t) n < sizeof line ? (size_t) n : sizeof line - 1);
}

void log_error(const struct berr *err)
{
  char text[1280];
  berr_format(err, text, sizeof text);
  log_error_text(text);
}
