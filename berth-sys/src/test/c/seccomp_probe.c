/*
 * Test helper for SeccompCompilerTest: installs a BPF program read from a file, then performs
 * the operations named on the command line and prints one line per operation.
 *
 *   seccomp_probe BPF_FILE FLAGS OP...
 *   OP: mkdir:PATH:OCTAL_MODE | mkdirat:PATH:OCTAL_MODE | getppid | uname
 *   prints "mkdir 0" / "mkdir errno 1", "getppid 0" / "getppid errno 38", ...
 *
 * After the filter is in place it only uses the named syscalls, write and exit_group.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void say(const char *op, long rc, int err)
{
	char line[128];
	int n = rc < 0 ? snprintf(line, sizeof line, "%s errno %d\n", op, err)
		       : snprintf(line, sizeof line, "%s 0\n", op);
	if (write(1, line, n) < 0)
		_exit(3);
}

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	if (argc < 3) {
		fprintf(stderr, "usage: %s BPF_FILE FLAGS OP...\n", argv[0]);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("open");
		return 2;
	}
	ssize_t len = read(fd, buf, sizeof buf);
	close(fd);
	if (len <= 0 || len % sizeof(struct sock_filter) != 0) {
		fprintf(stderr, "bad bpf length %zd\n", len);
		return 2;
	}
	struct sock_fprog prog = {
		.len = (unsigned short)(len / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)buf,
	};
	unsigned long flags = strtoul(argv[2], NULL, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("prctl");
		return 2;
	}
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (rc < 0) {
		fprintf(stderr, "seccomp: %s\n", strerror(errno));
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		char *op = argv[i];
		errno = 0;
		if (strncmp(op, "mkdir:", 6) == 0) {
			char *path = op + 6;
			char *colon = strrchr(path, ':');
			if (!colon)
				return 2;
			*colon = '\0';
			rc = syscall(SYS_mkdir, path, strtoul(colon + 1, NULL, 8));
			say("mkdir", rc, errno);
		} else if (strncmp(op, "mkdirat:", 8) == 0) {
			char *path = op + 8;
			char *colon = strrchr(path, ':');
			if (!colon)
				return 2;
			*colon = '\0';
			rc = syscall(SYS_mkdirat, AT_FDCWD, path, strtoul(colon + 1, NULL, 8));
			say("mkdirat", rc, errno);
		} else if (strcmp(op, "getppid") == 0) {
			rc = syscall(SYS_getppid);
			say("getppid", rc, errno);
		} else if (strcmp(op, "uname") == 0) {
			struct utsname u;
			rc = syscall(SYS_uname, &u);
			say("uname", rc, errno);
		} else {
			return 2;
		}
	}
	syscall(SYS_exit_group, 0);
	return 0;
}
