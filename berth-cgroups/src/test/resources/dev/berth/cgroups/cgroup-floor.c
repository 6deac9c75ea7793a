/*
 * The kernel floor for CgroupBench: the same cgroupfs operations berth made for one container
 * (read from stdin, recorded by the benchmark), done by bare C with nothing else, per iteration:
 * mkdir in every hierarchy, the recorded limit writes, the pid into each cgroup.procs (join), the
 * pid back into each hierarchy's root cgroup.procs (move-out), rmdir. Compiled by the benchmark.
 *
 *   cgroup-floor ITERATIONS PID ID-PREFIX < spec
 *   spec lines: "D <dir> <root>" (a hierarchy: the container's dir and the hierarchy root)
 *               "W <file> <value>" (a control-file write, in order); "@ID@" stands for the id
 * Prints one line per iteration: "<total ns> <move-out ns>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXOPS 256
static char *dirs[MAXOPS], *roots[MAXOPS], *wfile[MAXOPS], *wval[MAXOPS];
static int ndirs, nw;

static void subst(char *out, size_t n, const char *tmpl, const char *id) {
    const char *at = strstr(tmpl, "@ID@");
    if (!at) { snprintf(out, n, "%s", tmpl); return; }
    snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, id, at + 4);
}

static void wr(const char *file, const char *val) {
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, val, strlen(val)) < 0) { fprintf(stderr, "cgroup-floor: write %s %s: %s\n", file, val, strerror(errno)); exit(1); }
    close(fd);
}

static long long now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: cgroup-floor N PID ID-PREFIX < spec\n"); return 2; }
    int n = atoi(argv[1]);
    const char *pid = argv[2];
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *a = strchr(line, ' '), *b;
        if (!a || (ndirs >= MAXOPS || nw >= MAXOPS)) continue;
        *a++ = 0;
        b = strchr(a, ' ');
        if (!b) continue;
        *b++ = 0;
        if (line[0] == 'D') { dirs[ndirs] = strdup(a); roots[ndirs++] = strdup(b); }
        else if (line[0] == 'W') { wfile[nw] = strdup(a); wval[nw++] = strdup(b); }
    }
    char p[4096], id[256];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s%d", argv[3], i);
        long long t0 = now();
        for (int k = 0; k < ndirs; k++) {
            subst(p, sizeof p, dirs[k], id);
            if (mkdir(p, 0755) < 0) { fprintf(stderr, "cgroup-floor: mkdir %s: %s\n", p, strerror(errno)); return 1; }
        }
        for (int k = 0; k < nw; k++) { subst(p, sizeof p, wfile[k], id); wr(p, wval[k]); }
        for (int k = 0; k < ndirs; k++) {
            subst(p, sizeof p, dirs[k], id);
            strcat(p, "/cgroup.procs");
            wr(p, pid);
        }
        long long t1 = now();
        for (int k = 0; k < ndirs; k++) {
            snprintf(p, sizeof p, "%s/cgroup.procs", roots[k]);
            wr(p, pid);
        }
        long long t2 = now();
        for (int k = 0; k < ndirs; k++) {
            subst(p, sizeof p, dirs[k], id);
            if (rmdir(p) < 0) { fprintf(stderr, "cgroup-floor: rmdir %s: %s\n", p, strerror(errno)); return 1; }
        }
        long long t3 = now();
        printf("%lld %lld\n", t3 - t0, t2 - t1);
    }
    return 0;
}
