"""Launcher-level tests of runtime-spec conformance fixes (issue 8/9): the seccomp filter is the
last thing before execve, a failure after start reaches the reader of the exec fifo, and a
container may share the runtime's mount namespace. Same fixtures as test_launch.py."""
import errno
import os
import struct
import unittest

import test_launch
from plan import *  # noqa: F401,F403


def load_tests(loader, tests, pattern):
    # only the tests defined here (not LaunchTest's, which test_launch.py runs)
    return unittest.TestSuite(ConformanceTest(n) for n in sorted(vars(ConformanceTest)) if n.startswith("test_"))


def deny_filter(*numbers):
    """BPF: EPERM for the given x86_64 syscall numbers, allow the rest."""
    prog = struct.pack("<HBBI", 0x20, 0, 0, 0)  # ld [nr]
    for i, nr in enumerate(numbers):
        prog += struct.pack("<HBBI", 0x15, len(numbers) - i, 0, nr)  # jeq nr -> deny
    prog += struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)  # allow
    prog += struct.pack("<HBBI", 0x06, 0, 0, 0x00050000 | errno.EPERM)  # deny
    return prog


# what the launcher used to call after installing the filter, none of which `echo` needs:
# close_range, fcntl, rt_sigprocmask, openat, capset, setresuid, setresgid, setgroups, chdir
LAUNCHER_ONLY = (436, 72, 14, 257, 126, 117, 119, 116, 80)


class ConformanceTest(test_launch.LaunchTest):
    def test_nothing_but_execve_after_the_filter_with_no_new_privs(self):
        p = self.plan("echo", "ran")
        p.add(T_NO_NEW_PRIVS).add(T_SECCOMP, deny_filter(*LAUNCHER_ONLY), 0)
        self.assertEqual(self.run_ok(p), "ran\n")

    def test_nothing_but_execve_after_the_filter_without_no_new_privs(self):
        # the filter then needs CAP_SYS_ADMIN when installed: kept until execve, not after it
        p = self.plan("sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status")
        p.remove(T_CAPS).add(T_CAPS, 1 << 5, 1 << 5, 0, 1 << 5, 0)  # CAP_KILL only
        p.add(T_SECCOMP, deny_filter(436, 72, 126, 117, 119, 116), 0)
        self.assertEqual(self.run_ok(p), "CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\n")

    def test_exec_failure_after_start_goes_to_the_fifo_reader(self):
        bad = os.path.join(self.rootfs, "bin", "not-elf")
        with open(bad, "wb") as f:
            f.write(b"\x01\x02not elf")
        os.chmod(bad, 0o755)
        p = self.plan("/bin/not-elf", action="create")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 0, err)
        pid = self.created_pid()
        fd = os.open(self.fifo, os.O_RDONLY)
        try:
            got = b""
            while True:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                got += chunk
        finally:
            os.close(fd)
            os.unlink(self.fifo)
        self.assertEqual(got, b"0exec: /bin/not-elf: Exec format error")
        test_launch.wait_for(lambda: not test_launch.pid_alive(pid), 5)
        self.assertEqual(self.read(self.last_err), "", "reported to the reader, not on stderr")

    def test_successful_exec_is_end_of_file_after_the_byte(self):
        p = self.plan("sleep", "30", action="create")
        self.assertEqual(self.launch(p)[0], 0)
        pid = self.created_pid()
        fd = os.open(self.fifo, os.O_RDONLY)
        try:
            self.assertEqual(os.read(fd, 16), b"0")
            self.assertEqual(os.read(fd, 16), b"")  # the execve closed the write end
        finally:
            os.close(fd)
            os.unlink(self.fifo)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            self.assertEqual(f.read(), b"sleep\x0030\x00")

    def test_without_a_mount_namespace_chroot_and_no_mount(self):
        p = self.plan("sh", "-c", "ls /.berth-rootfs-*; echo $$", namespaces=(CLONE_NEWPID, CLONE_NEWUTS))
        p.remove(T_MOUNT).remove(T_DEVICE)
        out = self.run_ok(p).split()
        self.assertEqual(out, ["/" + self.marker, "1"])
        self.assertNoLeftovers()

    def test_without_a_mount_namespace_in_a_user_namespace(self):
        # the init reopens the exec fifo after the chroot as root of its user namespace (host uid
        # 100000), which may not search the state directory: through its own /proc fd table
        os.chmod(self.state, 0o700)
        p = self.plan("sh", "-c", "id -u; ls /.berth-rootfs-*", namespaces=(CLONE_NEWPID, CLONE_NEWUTS), userns=True)
        p.remove(T_MOUNT).remove(T_DEVICE)
        self.assertEqual(self.run_ok(p).split(), ["0", "/" + self.marker])
        self.assertNoLeftovers()
