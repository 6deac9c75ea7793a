/* plan.c - reading the plan (docs/plan-format.md) and looking records up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "berth.h"

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24; }
static uint16_t le16(const unsigned char *p) { return (uint16_t) (p[0] | p[1] << 8); }

int plan_read(int fd, struct plan *plan, struct berr *err)
{
  size_t cap = 16384, len = 0;
  char *buf = malloc(cap);
  if (!buf)
    return berr_sys(err, "read plan: fd %d", fd);
  for (;;) {
    if (len == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        return berr_sys(err, "read plan: fd %d", fd);
      }
      buf = nb;
    }
    ssize_t n = pread(fd, buf + len, cap - len, (off_t) len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      free(buf);
      return berr_sys(err, "read plan: fd %d", fd);
    }
    if (n == 0)
      break;
    len += (size_t) n;
  }
  memset(plan, 0, sizeof *plan);
  plan->buf = buf;
  plan->buflen = len;
  const unsigned char *p = (const unsigned char *) buf, *end = p + len;
  if (len < 12 || memcmp(buf, PLAN_MAGIC, 8) != 0)
    goto bad;
  uint32_t count = le32(p + 8);
  p += 12;
  if (count > len / 4)
    goto bad;
  plan->records = calloc(count ? count : 1, sizeof *plan->records);
  if (!plan->records)
    goto bad;
  for (uint32_t i = 0; i < count; i++) {
    struct plan_record *r = &plan->records[i];
    if (end - p < 4)
      goto bad;
    r->tag = le16(p);
    r->nfields = le16(p + 2);
    p += 4;
    if (r->nfields > (size_t) (end - p) / 5)
      goto bad;
    r->fields = calloc(r->nfields ? r->nfields : 1, sizeof *r->fields);
    plan->nrecords = i + 1;
    if (!r->fields)
      goto bad;
    for (uint16_t f = 0; f < r->nfields; f++) {
      if (end - p < 4)
        goto bad;
      uint32_t flen = le32(p);
      p += 4;
      if ((size_t) (end - p) < (size_t) flen + 1 || p[flen] != 0)
        goto bad;
      r->fields[f].data = (const char *) p;
      r->fields[f].len = flen;
      p += flen + 1;
    }
  }
  if (p != end)
    goto bad;
  return 0;
bad:
  plan_free(plan);
  return berr_set(err, EINVAL, "read plan: malformed plan (%zu bytes)", len);
}

void plan_free(struct plan *plan)
{
  for (size_t i = 0; i < plan->nrecords; i++)
    free(plan->records[i].fields);
  free(plan->records);
  free(plan->buf);
  memset(plan, 0, sizeof *plan);
}

const struct plan_record *plan_next(const struct plan *plan, uint16_t tag, const struct plan_record *prev)
{
  size_t i = prev ? (size_t) (prev - plan->records) + 1 : 0;
  for (; i < plan->nrecords; i++)
    if (plan->records[i].tag == tag)
      return &plan->records[i];
  return NULL;
}

const struct plan_record *plan_find(const struct plan *plan, uint16_t tag) { return plan_next(plan, tag, NULL); }

const char *plan_str(const struct plan_record *rec, unsigned idx)
{
  return rec && idx < rec->nfields ? rec->fields[idx].data : "";
}

const char *plan_get(const struct plan *plan, uint16_t tag)
{
  const struct plan_record *r = plan_find(plan, tag);
  return r ? plan_str(r, 0) : NULL;
}

int parse_u64(const char *s, uint64_t *out, struct berr *err)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || errno || *s == '-')
    return berr_set(err, EINVAL, "parse number: %s", s);
  *out = v;
  return 0;
}

int parse_i64(const char *s, int64_t *out, struct berr *err)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno)
    return berr_set(err, EINVAL, "parse number: %s", s);
  *out = v;
  return 0;
}

char **plan_strv(const struct plan_record *rec, unsigned from, unsigned count)
{
  char **v = calloc(count + 1, sizeof *v);
  if (!v)
    return NULL;
  for (unsigned i = 0; i < count; i++)
    v[i] = (char *) plan_str(rec, from + i);
  return v;
}
