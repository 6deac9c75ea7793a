"""End-to-end tests of berth-launch: real containers on the real kernel (root needed).

Each test builds a busybox rootfs in a temp dir, encodes a plan (plan.py) and runs
target/berth-launch --plan-fd N. Everything a test creates (processes, mounts, cgroup dirs,
temp dirs) is removed by cleanups registered before it is created.
"""
import array
import ctypes
import errno
import json
import os
import shutil
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from plan import *  # noqa: F401,F403

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCH = os.environ.get("BERTH_LAUNCH", os.path.join(HERE, "..", "..", "..", "target", "berth-launch"))
BUSYBOX = "/bin/busybox"


def _host_caps():
    with open("/proc/self/status") as f:
        return int([l for l in f if l.startswith("CapBnd:")][0].split()[1], 16)


CAP_ALL = _host_caps()  # what we may grant: this host may itself run without some (CAP_SYS_RESOURCE)
DEFAULT_DEVICES = [("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
                   ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0)]

libc = ctypes.CDLL(None, use_errno=True)


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return sorted(" ".join(line.split()[3:5]) for line in f)


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def stat_is_socket(path):
    import stat as st
    try:
        return st.S_ISSOCK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    return pred()


@unittest.skipUnless(os.geteuid() == 0, "needs root")
@unittest.skipUnless(os.path.exists(BUSYBOX), "needs /bin/busybox")
class LaunchTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(LAUNCH), f"build {LAUNCH} first")
        self.mounts_before = mountinfo()
        self.tmp = tempfile.mkdtemp(prefix="berth-test-")
        os.chmod(self.tmp, 0o755)  # user-namespaced containers (host uid 100000) must traverse it
        self.addCleanup(self._remove_tmp)
        self.pids = []
        self.addCleanup(self._kill_pids)
        self.rootfs = os.path.join(self.tmp, "rootfs")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.state)
        for d in ("bin", "proc", "dev", "sys", "tmp", "etc", "root", "data"):
            os.makedirs(os.path.join(self.rootfs, d))
        shutil.copy(BUSYBOX, os.path.join(self.rootfs, "bin", "busybox"))
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
        for a in applets:
            if a != "busybox":
                os.symlink("busybox", os.path.join(self.rootfs, "bin", a))
        with open(os.path.join(self.rootfs, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        self.marker = ".berth-rootfs-" + os.path.basename(self.tmp)
        with open(os.path.join(self.rootfs, self.marker), "w"):
            pass
        self.fifo = os.path.join(self.state, "exec.fifo")
        self.runs = 0

    def container_processes(self):
        """Pids whose root directory is this test's rootfs (found through its marker file)."""
        found = []
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != os.getpid():
                try:
                    if os.path.exists(f"/proc/{d}/root/{self.marker}") and pid_alive(int(d)):
                        found.append(int(d))
                except OSError:
                    pass
        return found

    def _kill_pids(self):
        # the launchers and inits we know of, then anything still running in this test's rootfs
        # (an init in its own pid namespace outlives a launcher killed under it)
        for round_ in range(2):
            pids = self.pids if round_ == 0 else self.container_processes()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in pids:
                wait_for(lambda: not pid_alive(pid), 5)

    def _remove_tmp(self):
        # anything left mounted below tmp (should be nothing: mounts live in the container's mount ns)
        for line in reversed(mountinfo()):
            mp = line.split()[1]
            if mp.startswith(self.tmp):
                subprocess.run(["umount", "-l", mp], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cgroup(self, controller="pids", suffix=""):
        base = f"/sys/fs/cgroup/{controller}"
        if not os.path.isdir(base):
            self.skipTest(f"no {base}")
        d = os.path.join(base, os.path.basename(self.tmp) + suffix)
        os.mkdir(d)

        def remove():
            for _ in range(200):
                try:
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        pids = [int(p) for p in f.read().split()]
                except FileNotFoundError:
                    return
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    os.rmdir(d)
                    return
                except OSError:
                    time.sleep(0.02)
        self.addCleanup(remove)
        return d

    def plan(self, *args, action="run", namespaces=(CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC),
             fifo=True, userns=False):
        p = Plan()
        p.add(T_ACTION, action).add(T_ID, os.path.basename(self.tmp)).add(T_STATE_DIR, self.state)
        p.add(T_BUNDLE, self.tmp).add(T_ROOTFS, self.rootfs, 0, 0, 0)
        if userns:
            p.add(T_NAMESPACE, CLONE_NEWUSER, "")
            p.add(T_UID_MAP, 0, 100000, 65536).add(T_GID_MAP, 0, 100000, 65536)
        for ns in namespaces:
            p.add(T_NAMESPACE, ns, "")
        p.add(T_MOUNT, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", 0, "dir")
        p.add(T_MOUNT, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k", 0, "dir")
        p.add(T_MOUNT, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620", 0, "dir")
        p.add(T_MOUNT, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 0, "dir")
        for path, major, minor in DEFAULT_DEVICES:
            p.add(T_DEVICE, path, "c", major, minor, 0o666, 0, 0, 1 if userns else 0)
        p.add(T_ARGS, *args).add(T_ENV, "PATH=/bin", "HOME=/root").add(T_CWD, "/")
        p.add(T_CAPS, CAP_ALL, CAP_ALL, 0, CAP_ALL, 0)
        if fifo:
            os.mkfifo(self.fifo)
            p.add(T_EXEC_FIFO, self.fifo)
        return p

    def launch(self, plan, timeout=30, pass_fds=(), stdin=subprocess.DEVNULL):
        """Runs berth-launch to its exit; returns (rc, stdout, stderr) with stdio in files (a created
        container keeps them open)."""
        self.runs += 1
        out = os.path.join(self.tmp, f"out.{self.runs}")
        err = os.path.join(self.tmp, f"err.{self.runs}")
        fd = plan.memfd()
        try:
            with open(out, "wb") as o, open(err, "wb") as e:
                p = subprocess.Popen([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,) + tuple(pass_fds),
                                     stdin=stdin, stdout=o, stderr=e)
                self.pids.append(p.pid)
                try:
                    rc = p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise
        finally:
            os.close(fd)
        self.last_out, self.last_err = out, err
        return rc, self.read(out), self.read(err)

    @staticmethod
    def read(path):
        with open(path, errors="replace") as f:
            return f.read()

    def run_ok(self, plan, **kw):
        rc, out, err = self.launch(plan, **kw)
        self.assertEqual(rc, 0, f"stdout={out!r} stderr={err!r}")
        return out

    def start(self):
        """What `berth start` does: open the fifo for reading, read a byte, unlink it. The init may
        not have opened the write end yet (it does right after create returns): until it has, a
        read says end of file, so read again (bounded) as `start`'s blocking open would wait."""
        fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            got = b""
            deadline = time.monotonic() + 10
            while not got and time.monotonic() < deadline:
                select.select([fd], [], [], 0.1)
                try:
                    got = os.read(fd, 1)
                except BlockingIOError:
                    got = b""
                if not got:
                    time.sleep(0.002)
            self.assertEqual(got, b"0")
        finally:
            os.close(fd)
            os.unlink(self.fifo)

    def created_pid(self):
        with open(os.path.join(self.state, "pid")) as f:
            pid = int(f.read())
        self.pids.append(pid)
        return pid

    def assertNoLeftovers(self):
        # only what concerns this test: other work on the host mounts and unmounts concurrently
        def ours(table):
            return [m for m in table if self.tmp in m or "/proc/self/fd" in m]
        self.assertEqual(ours(mountinfo()), ours(self.mounts_before), "host mount table changed")

    # --- lifecycle -------------------------------------------------------------------------
    def test_run_exit_code(self):
        rc, out, err = self.launch(self.plan("sh", "-c", "echo hello; exit 3"))
        self.assertEqual((rc, out), (3, "hello\n"), err)
        self.assertEqual(self.container_processes(), [])
        self.assertNoLeftovers()

    def test_run_killed_by_signal(self):
        # no pid namespace: pid 1 of a namespace cannot be killed from inside
        rc, _, err = self.launch(self.plan("sh", "-c", "kill -9 $$", namespaces=(CLONE_NEWNS, CLONE_NEWUTS)))
        self.assertEqual(rc, 137, err)

    def test_run_forwards_sigterm(self):
        p = self.plan("sh", "-c", "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.05; done")
        fd = p.memfd()
        out = os.path.join(self.tmp, "out")
        with open(out, "wb") as o:
            proc = subprocess.Popen([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,), stdout=o,
                                    stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        os.close(fd)
        self.pids.append(proc.pid)
        self.assertTrue(wait_for(lambda: "ready" in self.read(out)))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(10), 5, proc.stderr.read())
        proc.stderr.close()
        self.assertIn("got-term", self.read(out))

    def test_create_then_start(self):
        os.makedirs(os.path.join(self.tmp, "shared"))
        p = self.plan("sh", "-c", "echo started > /shared/marker", action="create")
        p.add(T_MOUNT, os.path.join(self.tmp, "shared"), "/shared", "", MS_BIND | MS_REC, "", 0, "dir")
        pidfile = os.path.join(self.tmp, "container.pid")
        p.add(T_PID_FILE, pidfile)
        t0 = time.monotonic()
        self.run_ok(p, timeout=10)
        pid = self.created_pid()
        self.assertEqual(self.read(pidfile), str(pid))
        self.assertTrue(pid_alive(pid))
        time.sleep(0.2)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "shared", "marker")), "ran before start")
        self.assertLess(time.monotonic() - t0, 10)
        self.start()
        self.assertTrue(wait_for(lambda: os.path.exists(os.path.join(self.tmp, "shared", "marker"))))
        self.assertTrue(wait_for(lambda: not pid_alive(pid)))
        self.assertNoLeftovers()

    def test_sigterm_before_start_kills_the_created_init(self):
        p = self.plan("sleep", "60", action="create", namespaces=(CLONE_NEWNS, CLONE_NEWUTS))
        self.run_ok(p)
        pid = self.created_pid()
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_for(lambda: not pid_alive(pid), 5), "the launcher's blocked mask must not protect it")

    # --- namespaces ------------------------------------------------------------------------
    def test_pid_one_and_hostname(self):
        p = self.plan("sh", "-c", "echo $$; hostname")
        p.add(T_HOSTNAME, "berth-box")
        self.assertEqual(self.run_ok(p), "1\nberth-box\n")
        self.assertNotEqual(os.uname().nodename, "berth-box")

    def test_private_mount_namespace_keeps_host_net(self):
        # The same network namespace as the host's (its inode), not the same list of interfaces: other
        # programs on the host (a user's containers, CNI) add and remove veths while this runs.
        host = os.readlink("/proc/self/ns/net")
        p = self.plan("sh", "-c", "mount -t tmpfs none /mnt 2>/dev/null || mkdir -p /mnt2; "
                                  "readlink /proc/self/ns/net; grep -c : /proc/net/dev")
        out = self.run_ok(p).split()
        self.assertEqual(out[0], host)
        self.assertGreaterEqual(int(out[1]), 1)  # its interfaces are visible (lo at least)
        self.assertNoLeftovers()

    def test_user_namespace_maps(self):
        p = self.plan("sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g", userns=True)
        out = self.run_ok(p)
        lines = [l.split() for l in out.splitlines()]
        self.assertEqual(lines[0], ["0", "100000", "65536"])
        self.assertEqual(lines[1], ["0", "100000", "65536"])
        self.assertEqual(lines[2:], [["0"], ["0"]])

    def test_user_namespace_process_runs_as_mapped_host_uid(self):
        p = self.plan("sh", "-c", "echo $$ > /dev/null; sleep 30", userns=True, action="create")
        self.run_ok(p)
        pid = self.created_pid()
        self.start()
        with open(f"/proc/{pid}/status") as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0].split()
        self.assertEqual(uid_line[1], "100000")

    def test_join_user_namespace_through_intermediate(self):
        first = self._running_container(userns=True)
        p = self.plan("sh", "-c", "cat /proc/self/uid_map; echo $$")
        p.records.insert(5, (T_NAMESPACE, [str(CLONE_NEWUSER).encode(), f"/proc/{first}/ns/user".encode()]))
        for path, major, minor in DEFAULT_DEVICES:  # a user namespace cannot mknod
            p.remove(T_DEVICE)
        for path, major, minor in DEFAULT_DEVICES:
            p.add(T_DEVICE, path, "c", major, minor, 0o666, 0, 0, 1)
        out = self.run_ok(p).split()
        self.assertEqual(out, ["0", "100000", "65536", "1"])

    def test_join_net_namespace_by_path(self):
        first = self._running_container(namespaces=(CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWNET))
        p = self.plan("readlink", "/proc/self/ns/net", namespaces=(CLONE_NEWNS, CLONE_NEWPID))
        p.add(T_NAMESPACE, CLONE_NEWNET, f"/proc/{first}/ns/net")
        self.assertEqual(self.run_ok(p).strip(), os.readlink(f"/proc/{first}/ns/net"))
        self.assertNotEqual(os.readlink("/proc/self/ns/net"), os.readlink(f"/proc/{first}/ns/net"))

    def test_time_namespace_offsets(self):
        p = self.plan("cat", "/proc/uptime",
                      namespaces=(CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME))
        p.add(T_TIME_OFFSET, "boottime", 864000, 0)
        with open("/proc/uptime") as f:
            host = float(f.read().split()[0])
        inside = float(self.run_ok(p).split()[0])
        self.assertGreater(inside, host + 863000)

    # --- mounts ----------------------------------------------------------------------------
    def test_mounts_bind_ro_tmpfs_proc_masked_readonly(self):
        host = os.path.join(self.tmp, "hostdata")
        os.makedirs(host)
        with open(os.path.join(host, "f"), "w") as f:
            f.write("from-host")
        os.makedirs(os.path.join(self.rootfs, "secret"))
        with open(os.path.join(self.rootfs, "secret", "s"), "w") as f:
            f.write("x")
        script = ("cat /data/f; echo; touch /data/new 2>/dev/null && echo rw-data || echo ro-data; "
                  "touch /scratch/t && echo rw-scratch; grep -c ' /scratch tmpfs' /proc/mounts; "
                  "ls /secret | wc -l; wc -c < /etc/passwd; "
                  "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo rw-sys || echo ro-sys; "
                  "test -e /proc/1/status && echo proc")
        p = self.plan("sh", "-c", script)
        p.add(T_MOUNT, host, "/data", "", MS_BIND | MS_REC | MS_RDONLY, "", 0, "dir")
        p.add(T_MOUNT, "tmpfs", "/scratch/", "tmpfs", MS_NOSUID, "size=1m", 0, "dir")
        p.add(T_MASKED, "/secret").add(T_MASKED, "/etc/passwd").add(T_MASKED, "/does/not/exist")
        p.add(T_READONLY_PATH, "/proc/sys")
        out = self.run_ok(p).split()
        self.assertEqual(out, ["from-host", "ro-data", "rw-scratch", "1", "0", "0", "ro-sys", "proc"])
        self.assertFalse(os.path.exists(os.path.join(host, "new")))
        self.assertNoLeftovers()

    def test_readonly_rootfs_and_devices(self):
        p = self.plan("sh", "-c", "touch /x 2>/dev/null && echo rw || echo ro; echo hi > /dev/null && "
                                  "head -c 4 /dev/zero | wc -c; ls -l /dev/fd /dev/ptmx | wc -l; stat -c %t,%T /dev/tty")
        p.remove(T_ROOTFS).add(T_ROOTFS, self.rootfs, 1, 0, 0)
        out = self.run_ok(p).split()
        self.assertEqual(out, ["ro", "4", "2", "5,0"])

    def test_no_pivot_chroot(self):
        p = self.plan("sh", "-c", "ls /bin/busybox && echo $$")
        p.remove(T_ROOTFS).add(T_ROOTFS, self.rootfs, 0, 1, 0)
        self.assertEqual(self.run_ok(p).split(), ["/bin/busybox", "1"])

    def test_rootfs_propagation_shared(self):
        p = self.plan("sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo | grep -c shared:")
        p.remove(T_ROOTFS).add(T_ROOTFS, self.rootfs, 0, 0, MS_SHARED | MS_REC)
        self.assertEqual(self.run_ok(p).strip(), "1")
        self.assertNoLeftovers()

    def test_cgroup_mounts(self):
        cg = self.cgroup()
        # empty source: the launcher binds the container's own cgroup dirs read-only
        p = self.plan("sh", "-c", "ls /sys/fs/cgroup; test -f /sys/fs/cgroup/pids/cgroup.procs && echo 1; "
                                  "touch /sys/fs/cgroup/pids/x 2>/dev/null && echo rw || echo ro")
        p.add(T_CGROUP, cg).add(T_MOUNT, "", "/sys/fs/cgroup", "cgroup", 0, "", 0, "dir")
        self.assertEqual(self.run_ok(p).split(), ["pids", "1", "ro"])
        # a source: a real cgroup mount (what Java emits for a private cgroup namespace)
        p = self.plan("sh", "-c", "head -n 1 /sys/fs/cgroup/pids/tasks; grep pids /proc/self/cgroup | cut -d: -f2-",
                      namespaces=(CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWCGROUP), fifo=False)
        p.add(T_CGROUP, cg)
        p.add(T_MOUNT, "tmpfs", "/sys/fs/cgroup", "tmpfs", MS_NOSUID, "mode=755", 0, "dir")
        p.add(T_MOUNT, "cgroup", "/sys/fs/cgroup/pids", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, "pids", 0, "dir")
        # the namespace's root is the container's cgroup (unshared after joining it)
        self.assertEqual(self.run_ok(p).split(), ["1", "pids:/"])

    # --- process ---------------------------------------------------------------------------
    def test_capabilities_all_five_sets(self):
        chown, kill, net_bind = 1 << 0, 1 << 5, 1 << 10
        p = self.plan("sh", "-c", "grep ^Cap /proc/self/status")
        p.remove(T_CAPS).add(T_CAPS, chown | kill | net_bind, chown | kill, net_bind, chown | kill | net_bind,
                             net_bind)
        caps = dict(l.split(":") for l in self.run_ok(p).splitlines())
        caps = {k: int(v.strip(), 16) for k, v in caps.items()}
        self.assertEqual(caps["CapBnd"], chown | kill | net_bind)
        self.assertEqual(caps["CapPrm"], chown | kill | net_bind)
        self.assertEqual(caps["CapEff"], chown | kill | net_bind)  # ambient lands in effective after exec
        self.assertEqual(caps["CapInh"], net_bind)
        self.assertEqual(caps["CapAmb"], net_bind)

    def test_user_groups_umask(self):
        p = self.plan("sh", "-c", "id -u; id -g; id -G; umask; grep NoNewPrivs /proc/self/status")
        p.add(T_USER, 1000, 1001, "027", 10, 20).add(T_NO_NEW_PRIVS)
        p.remove(T_CAPS).add(T_CAPS, 0, 0, 0, 0, 0)
        out = self.run_ok(p).splitlines()
        self.assertEqual(out[0:2], ["1000", "1001"])
        self.assertEqual(sorted(out[2].split()), ["10", "1001", "20"])
        self.assertEqual(out[3], "0027")
        self.assertEqual(out[4].split(), ["NoNewPrivs:", "1"])

    def test_rlimits_and_oom_score_adj(self):
        p = self.plan("sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj")
        p.add(T_RLIMIT, 7, 100, 200).add(T_OOM_SCORE_ADJ, 123)
        self.assertEqual(self.run_ok(p).split(), ["100", "200", "123"])

    def test_env_cwd_and_path_lookup(self):
        os.makedirs(os.path.join(self.rootfs, "work", "dir"))
        p = self.plan("pwd")
        p.remove(T_CWD).add(T_CWD, "/work/dir")
        self.assertEqual(self.run_ok(p), "/work/dir\n")
        p = self.plan("no-such-binary", fifo=False)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("no-such-binary", err)

    def test_seccomp_mkdir_eperm(self):
        def stmt(code, k):
            return struct.pack("<HBBI", code, 0, 0, k)

        def jeq(k, jt, jf):
            return struct.pack("<HBBI", 0x15, jt, jf, k)
        # ld [nr]; jeq mkdir -> errno; jeq mkdirat -> errno; allow; errno(EPERM)
        bpf = (stmt(0x20, 0) + jeq(83, 2, 0) + jeq(258, 1, 0) + stmt(0x06, 0x7fff0000) +
               stmt(0x06, 0x00050000 | errno.EPERM))
        p = self.plan("sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched")
        p.add(T_NO_NEW_PRIVS).add(T_SECCOMP, bpf, 0)
        out = self.run_ok(p)
        self.assertIn("Operation not permitted", out)
        self.assertIn("rc=1", out)
        self.assertIn("touched", out)

    def test_seccomp_without_no_new_privs(self):
        bpf = struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)
        p = self.plan("sh", "-c", "grep Seccomp: /proc/self/status")
        p.add(T_SECCOMP, bpf, 0)
        self.assertEqual(self.run_ok(p).split(), ["Seccomp:", "2"])

    def test_personality(self):
        p = self.plan("uname", "-m")
        p.add(T_PERSONALITY, 8)  # PER_LINUX32
        self.assertIn(self.run_ok(p).strip(), ("i686", "i386", "armv8l"))

    def test_apparmor_without_host_support_is_a_clear_error(self):
        if os.path.exists("/sys/kernel/security/apparmor"):
            self.skipTest("host has apparmor")
        p = self.plan("true")
        p.add(T_APPARMOR, "berth-default")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^berth-runc: apparmor profile berth-default: .*attr.*exec")
        self.assertNoLeftovers()

    def test_seccomp_notify_fd_goes_to_the_listener(self):
        import fcntl
        import threading
        sock_path = os.path.join(self.tmp, "seccomp.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(srv.close)
        srv.bind(sock_path)
        srv.listen(1)
        srv.settimeout(10)
        # mkdir/mkdirat -> SECCOMP_RET_USER_NOTIF, everything else allowed
        bpf = (struct.pack("<HBBI", 0x20, 0, 0, 0) + struct.pack("<HBBI", 0x15, 2, 0, 83) +
               struct.pack("<HBBI", 0x15, 1, 0, 258) + struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000) +
               struct.pack("<HBBI", 0x06, 0, 0, 0x7fc00000))
        p = self.plan("sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?")
        p.add(T_NO_NEW_PRIVS).add(T_SECCOMP, bpf, 8).add(T_SECCOMP_LISTENER, sock_path, "meta=1")
        got = {}

        def agent():
            conn, _ = srv.accept()
            with conn:
                msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4))
                got["state"] = json.loads(msg)
                notify = struct.unpack("i", anc[0][2][:4])[0]
                req = bytearray(80)
                fcntl.ioctl(notify, 0xC0502100, req)  # SECCOMP_IOCTL_NOTIF_RECV
                nid, _, _, nr = struct.unpack_from("<QIIi", req)
                got["nr"] = nr
                fcntl.ioctl(notify, 0xC0182101, struct.pack("<QqiI", nid, 0, -errno.EROFS, 0))  # NOTIF_SEND
                os.close(notify)
        t = threading.Thread(target=agent, daemon=True)
        t.start()
        out = self.run_ok(p)
        t.join(10)
        self.assertIn("Read-only file system", out)
        self.assertIn(got["nr"], (83, 258))
        self.assertEqual(got["state"]["fds"], ["seccompFd"])
        self.assertEqual(got["state"]["metadata"], "meta=1")
        self.assertGreater(got["state"]["pid"], 1)
        self.assertEqual(got["state"]["state"]["pid"], got["state"]["pid"])

    def test_sysctl(self):
        p = self.plan("cat", "/proc/sys/kernel/domainname")
        p.add(T_SYSCTL, "kernel.domainname", "berth.test")
        self.assertEqual(self.run_ok(p), "berth.test\n")

    def test_cgroup_join_and_kill(self):
        cg = self.cgroup()
        p = self.plan("sh", "-c", "grep pids /proc/self/cgroup")
        p.add(T_CGROUP, cg).add(T_KILL_CGROUP, cg)
        out = self.run_ok(p)
        self.assertIn(os.path.basename(self.tmp), out)
        self.assertFalse(os.path.exists(cg), "run must remove the cgroup it was told to kill")

    def test_kill_cgroup_takes_daemonized_leftovers(self):
        for controllers in (("pids",), ("unified",), ("freezer", "pids")):
            with self.subTest(controllers=controllers):
                cgs = [self._unified_cgroup() if c == "unified" else self.cgroup(c, suffix=str(i))
                       for i, c in enumerate(controllers)]
                # no pid namespace: the background sleep outlives the init unless the cgroup is killed
                p = self.plan("sh", "-c", "sleep 100 & echo $!", namespaces=(CLONE_NEWNS,), fifo=False)
                for cg in cgs:
                    p.add(T_CGROUP, cg)
                for cg in cgs:
                    p.add(T_KILL_CGROUP, cg)
                bg = int(self.run_ok(p).split()[0])
                self.pids.append(bg)
                self.assertTrue(wait_for(lambda: not pid_alive(bg), 5), "leftover process killed")
                for cg in cgs:
                    self.assertFalse(os.path.exists(cg))

    def _unified_cgroup(self):
        base = "/sys/fs/cgroup/unified"
        if not os.path.exists(os.path.join(base, "cgroup.procs")):
            self.skipTest("no cgroup v2 hierarchy")
        d = os.path.join(base, os.path.basename(self.tmp))
        os.mkdir(d)
        self.addCleanup(lambda: os.path.exists(d) and os.rmdir(d))
        return d

    # --- terminal --------------------------------------------------------------------------
    def test_terminal_console_socket(self):
        sock_path = os.path.join(self.tmp, "console.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(srv.close)
        srv.bind(sock_path)
        srv.listen(1)
        p = self.plan("sh", "-c", "tty; stty size; echo done", action="create")
        p.add(T_TERMINAL, 24, 80).add(T_CONSOLE_SOCKET, sock_path)
        self.run_ok(p)
        self.created_pid()
        conn, _ = srv.accept()
        self.addCleanup(conn.close)
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(4))
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:4])
        self.assertEqual(len(fds), 1)
        master = fds[0]
        self.addCleanup(os.close, master)
        self.assertTrue(msg.startswith(b"/dev/pts/"))
        self.start()
        buf = b""
        while b"done" not in buf:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
        text = buf.decode().replace("\r", "")
        self.assertIn("/dev/pts/0\n24 80\n", text)

    def test_create_with_terminal_needs_console_socket(self):
        p = self.plan("true", action="create")
        p.add(T_TERMINAL, 0, 0)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("without a console socket", err)

    def test_terminal_relay_in_run(self):
        p = self.plan("sh", "-c", "tty; stat -c %t /dev/console; echo relayed")
        p.add(T_TERMINAL, 0, 0)
        out = self.run_ok(p).replace("\r", "")
        self.assertIn("/dev/pts/0", out)
        self.assertIn("\n88\n", out)  # /dev/console is the pty (major 136 = 0x88)
        self.assertIn("relayed", out)

    def test_terminal_relay_with_tty_stdin(self):
        import fcntl
        import termios
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
        before = termios.tcgetattr(slave)
        p = self.plan("sh", "-c", "stty size; read x; stty size; echo got-$x")
        p.add(T_TERMINAL, 0, 0)
        fd = p.memfd()
        proc = subprocess.Popen([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,), stdin=slave, stdout=slave,
                                stderr=slave)
        os.close(fd)
        self.pids.append(proc.pid)
        buf = b""
        deadline = time.monotonic() + 10

        def read_until(what):  # never blocks past the deadline: a lost byte fails the test, not hangs it
            nonlocal buf
            while what not in buf and time.monotonic() < deadline:
                if select.select([master], [], [], max(0, deadline - time.monotonic()))[0]:
                    buf += os.read(master, 1024)

        read_until(b"33 77")  # the size is the terminal's before the process runs (no race with the relay)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        proc.send_signal(signal.SIGWINCH)  # the launcher resizes the container's pty
        time.sleep(0.2)
        os.write(master, b"typed\r")
        read_until(b"got-typed")
        self.assertEqual(proc.wait(10), 0, buf)
        self.assertIn(b"got-typed", buf)
        self.assertIn(b"40 100", buf)
        self.assertEqual(termios.tcgetattr(slave), before, "terminal mode restored")
        os.close(slave)

    # --- hooks -----------------------------------------------------------------------------
    def test_hooks_get_state_on_stdin(self):
        shared = os.path.join(self.tmp, "shared")
        os.makedirs(shared)

        def hook(stage):
            # startContainer runs in the container (after pivot_root): it writes into a bind mount
            dst = os.path.join("/shared" if stage == "startContainer" else shared, f"hook-{stage}")
            return (T_HOOK, stage, 5, BUSYBOX, 3, "sh", "-c", f"cat > {dst}; echo >> {dst}; echo $HOOKENV >> {dst}",
                    "HOOKENV=env-ok")
        p = self.plan("true")
        p.add(T_MOUNT, shared, "/shared", "", MS_BIND | MS_REC, "", 0, "dir")
        for stage in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"):
            p.add(*hook(stage))
        p.add(T_HOOK_STATE, '{"ociVersion":"1.0.2","id":"x","status":"', '","pid":', ',"bundle":"/b"}')
        self.run_ok(p)
        for stage, status in (("prestart", "creating"), ("createRuntime", "creating"),
                              ("createContainer", "creating"), ("startContainer", "created"),
                              ("poststart", "running"), ("poststop", "stopped")):
            with open(os.path.join(shared, f"hook-{stage}")) as f:
                state_line, env_line = f.read().splitlines()
            state = json.loads(state_line)
            self.assertEqual(state["status"], status, stage)
            self.assertEqual(env_line, "env-ok")
            if stage in ("prestart", "createRuntime", "poststart"):
                self.assertGreater(state["pid"], 1)

    def test_hook_timeout_fails_and_cleans_up(self):
        p = self.plan("true")
        p.add(T_HOOK, "prestart", 1, BUSYBOX, 2, "sleep", "30")
        t0 = time.monotonic()
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("prestart hook", err)

    # --- monitor ---------------------------------------------------------------------------
    def test_monitor_writes_exit_status(self):
        status = os.path.join(self.state, "exit")
        p = self.plan("sh", "-c", "sleep 0.3; exit 7", action="create")
        p.add(T_MONITOR, status)
        self.run_ok(p)
        pid = self.created_pid()
        with open(f"/proc/{pid}/status") as f:
            ppid = int([l for l in f if l.startswith("PPid:")][0].split()[1])
        self.pids.append(ppid)
        with open(f"/proc/{ppid}/status") as f:
            rss_kb = int([l for l in f if l.startswith("VmRSS:")][0].split()[1])
        self.assertLessEqual(rss_kb, 1024, "monitor RSS")
        self.assertEqual(os.getsid(ppid), ppid, "monitor runs in its own session")
        self.start()
        self.assertTrue(wait_for(lambda: os.path.exists(status)))
        self.assertEqual(self.read(status).strip(), "exited 7")
        self.assertTrue(wait_for(lambda: not pid_alive(ppid)))

    def test_monitor_run_signaled(self):
        status = os.path.join(self.state, "exit")
        p = self.plan("sh", "-c", "kill -USR1 $$; sleep 1", action="run", namespaces=(CLONE_NEWNS,))
        p.add(T_MONITOR, status)
        self.run_ok(p)
        self.created_pid()
        self.assertTrue(wait_for(lambda: os.path.exists(status)))
        self.assertEqual(self.read(status).strip(), "signaled 10")

    # --- exec ------------------------------------------------------------------------------
    def _running_container(self, **kw):
        p = self.plan("sleep", "60", action="create", **kw)
        p.add(T_HOSTNAME, "exec-box")
        self.run_ok(p)
        pid = self.created_pid()
        self.start()
        # start returns once the init has the byte; its execve may still be under way
        def execd():
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read().startswith(b"sleep\0")
        self.assertTrue(wait_for(execd), "init exec'd sleep")
        return pid

    def _exec_plan(self, pid, *args, types=("user", "mnt", "pid", "uts", "ipc")):
        flags = {"user": CLONE_NEWUSER, "mnt": CLONE_NEWNS, "pid": CLONE_NEWPID, "uts": CLONE_NEWUTS,
                 "ipc": CLONE_NEWIPC}
        p = Plan().add(T_ACTION, "exec").add(T_ID, "x")
        for t in types:
            p.add(T_NAMESPACE, flags[t], f"/proc/{pid}/ns/{t}")
        p.add(T_ARGS, *args).add(T_ENV, "PATH=/bin").add(T_CWD, "/").add(T_CAPS, CAP_ALL, CAP_ALL, 0, CAP_ALL, 0)
        return p

    def test_exec_into_running_container(self):
        pid = self._running_container()
        p = self._exec_plan(pid, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; exit 4",
                            types=("mnt", "pid", "uts", "ipc"))
        rc, out, err = self.launch(p)
        self.assertEqual(rc, 4, err)
        self.assertEqual(out.splitlines(), ["exec-box", "sleep 60 "])

    def test_exec_detached_in_user_namespace(self):
        pid = self._running_container(userns=True)
        pidfile = os.path.join(self.tmp, "exec.pid")
        p = self._exec_plan(pid, "sleep", "30")
        p.add(T_PID_FILE, pidfile).add(T_USER, 0, 0, "")
        self.run_ok(p)
        epid = int(self.read(pidfile))
        self.pids.append(epid)
        self.assertEqual(os.readlink(f"/proc/{epid}/ns/mnt"), os.readlink(f"/proc/{pid}/ns/mnt"))
        self.assertEqual(os.readlink(f"/proc/{epid}/ns/user"), os.readlink(f"/proc/{pid}/ns/user"))

    def test_exec_with_console_socket(self):
        pid = self._running_container()
        sock_path = os.path.join(self.tmp, "exec-console.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(srv.close)
        srv.bind(sock_path)
        srv.listen(1)
        p = self._exec_plan(pid, "sh", "-c", "tty; stty size; echo done", types=("mnt", "pid", "uts", "ipc"))
        p.add(T_TERMINAL, 30, 100).add(T_CONSOLE_SOCKET, sock_path)
        p.add(T_PID_FILE, os.path.join(self.tmp, "exec.pid"))
        self.run_ok(p)
        conn, _ = srv.accept()
        self.addCleanup(conn.close)
        _, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(4))
        master = struct.unpack("i", anc[0][2][:4])[0]
        self.addCleanup(os.close, master)
        buf = b""
        while b"done" not in buf:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
        self.assertRegex(buf.decode().replace("\r", ""), r"/dev/pts/\d+\n30 100\n")

    def test_debug_root_tools_image_with_container_at_container(self):
        """T_DEBUG_ROOT/T_DEBUG_MOUNT (berth debug): the container's pid/uts/ipc namespaces and cgroup,
        a mount namespace of its own rooted in a tools tree, the container's root at /container; what
        the session leaves running in the cgroup is killed; nothing is written into the container."""
        cg = self.cgroup()
        pid = self._running_container()
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(pid))
        tools = os.path.join(self.tmp, "tools")
        os.makedirs(os.path.join(tools, "bin"))
        shutil.copy(BUSYBOX, os.path.join(tools, "bin", "busybox"))
        for a in ("sh", "ls", "cat", "tr", "hostname", "sleep", "echo", "readlink", "ps"):
            os.symlink("busybox", os.path.join(tools, "bin", a))
        p = self._exec_plan(pid, "sh", "-c",
                            "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /container/" + self.marker
                            + "; echo t > /written; readlink /proc/self/ns/mnt; sleep 30 & exit 3",
                            types=("pid", "uts", "ipc"))
        p.add(T_DEBUG_ROOT, tools)
        p.add(T_DEBUG_MOUNT, self.rootfs, "/container", "", 4096 | 16384, "", 0, "dir")
        p.add(T_DEBUG_MOUNT, "proc", "/proc", "proc", 2 | 4 | 8, "", 0, "dir")
        p.add(T_DEBUG_MOUNT, "tmpfs", "/dev", "tmpfs", 2, "mode=755", 0, "dir")
        p.add(T_DEBUG_MOUNT, "/dev/null", "/dev/null", "", 4096, "", 0, "file")
        p.add(T_CGROUP, cg).add(T_PID_FILE, os.path.join(self.tmp, "debug.pid")).add(T_EXEC_WAIT)
        rc, out, err = self.launch(p)
        self.assertEqual(rc, 3, err)
        lines = out.splitlines()
        self.assertEqual(lines[:3], ["exec-box", "sleep 60 ", "/container/" + self.marker], out)
        self.assertNotEqual(lines[3], os.readlink(f"/proc/{pid}/ns/mnt"))
        self.assertTrue(os.path.exists(os.path.join(tools, "written")))
        self.assertFalse(os.path.exists(os.path.join(self.rootfs, "written")))
        def only_init():
            with open(os.path.join(cg, "cgroup.procs")) as f:
                return f.read().split() == [str(pid)]
        self.assertTrue(wait_for(only_init), "the session's background sleep was killed")
        self.assertTrue(pid_alive(pid), "the container runs on")

    def test_debug_root_refused_with_the_containers_mount_namespace(self):
        pid = self._running_container()
        p = self._exec_plan(pid, "true", types=("mnt", "pid"))
        p.add(T_DEBUG_ROOT, self.rootfs).add(T_PID_FILE, os.path.join(self.tmp, "debug.pid")).add(T_EXEC_WAIT)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("debug root with the container's mount namespace", err)

    def test_exec_failure_reports_and_leaves_nothing(self):
        pid = self._running_container()
        p = self._exec_plan(pid, "/no/such/binary", types=("mnt", "pid"))
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("/no/such/binary", err)
        self.assertTrue(pid_alive(pid), "the container survives a failed exec")
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            self.assertEqual(f.read().split(), [])

    def test_exec_joins_cgroup_in_user_namespace(self):
        cg = self.cgroup()
        pid = self._running_container(userns=True)
        p = self._exec_plan(pid, "sh", "-c", "grep pids /proc/self/cgroup; id -u; cat /proc/self/oom_score_adj")
        p.add(T_CGROUP, cg).add(T_OOM_SCORE_ADJ, 17)  # lowering needs CAP_SYS_RESOURCE, which this host may lack
        out = self.run_ok(p).split()
        self.assertTrue(out[0].endswith(os.path.basename(cg)), out)
        self.assertEqual(out[1:], ["0", "17"])

    def test_exec_forwards_signals(self):
        pid = self._running_container()
        p = self._exec_plan(pid, "sh", "-c", "trap 'exit 6' USR1; echo ready; while :; do sleep 0.05; done",
                            types=("mnt", "pid"))
        fd = p.memfd()
        out = os.path.join(self.tmp, "exec-out")
        with open(out, "wb") as o:
            proc = subprocess.Popen([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,), stdout=o,
                                    stdin=subprocess.DEVNULL)
        os.close(fd)
        self.pids.append(proc.pid)
        self.assertTrue(wait_for(lambda: "ready" in self.read(out)))
        proc.send_signal(signal.SIGUSR1)
        self.assertEqual(proc.wait(10), 6)

    def test_exec_with_pid_file_and_wait(self):
        pid = self._running_container()
        pidfile = os.path.join(self.tmp, "exec-wait.pid")
        p = self._exec_plan(pid, "sh", "-c", "exit 9", types=("mnt", "pid"))
        p.add(T_PID_FILE, pidfile).add(T_EXEC_WAIT)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 9, err)
        self.assertTrue(int(self.read(pidfile)) > 0)

    def test_monitor_relays_terminal_to_its_stdout(self):
        status = os.path.join(self.state, "exit")
        p = self.plan("sh", "-c", "tty; echo from-tty", action="run")
        p.add(T_MONITOR, status).add(T_TERMINAL, 0, 0)
        self.run_ok(p)
        self.created_pid()
        self.assertTrue(wait_for(lambda: os.path.exists(status)))
        self.assertEqual(self.read(status).strip(), "exited 0")
        out = self.read(self.last_out)
        self.assertIn("/dev/pts/0", out)
        self.assertIn("from-tty", out)

    # --- monitor-kept stdio (T_LOG_JSON, T_CONTROL_SOCKET, T_OPEN_STDIN) ------------------------
    TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"

    def io_plan(self, *args, tty=False, open_stdin=False, **kw):
        self.exit_file = os.path.join(self.state, "exit")
        self.json_log = os.path.join(self.tmp, "ctr-json.log")
        self.ctl = os.path.join(self.tmp, "ctl.sock")
        p = self.plan(*args, action="run", **kw)
        p.add(T_MONITOR, self.exit_file).add(T_LOG_JSON, self.json_log).add(T_CONTROL_SOCKET, self.ctl)
        if tty:
            p.add(T_TERMINAL, 0, 0)
        if open_stdin:
            p.add(T_OPEN_STDIN)
        return p

    def io_run(self, plan):
        """Runs the plan (run -d with a monitor); returns the monitor's pid."""
        rc, out, err = self.launch(plan)
        self.assertEqual((rc, out, err), (0, "", ""), "the launcher's own stdio carries nothing")
        pid = self.created_pid()
        try:
            with open(f"/proc/{pid}/status") as f:
                monitor = int([l for l in f if l.startswith("PPid:")][0].split()[1])
        except FileNotFoundError:
            return None  # already over
        self.pids.append(monitor)
        return monitor

    def log_entries(self, path=None):
        """The log's entries. While the monitor still writes, the last line may be only partly
        written (a reader can see a write in progress): that piece is left for a later read. Once
        the exit file exists the log is complete, and every line must be a whole entry."""
        complete = os.path.exists(self.exit_file)
        with open(path or self.json_log, "rb") as f:
            data = f.read()
        if not complete and not data.endswith(b"\n"):
            data = data[:data.rfind(b"\n") + 1]
        return [json.loads(line) for line in data.splitlines()]

    def log_text(self, stream=None):
        return "".join(e["log"] for e in self.log_entries() if stream is None or e["stream"] == stream)

    def wait_exit(self):
        self.assertTrue(wait_for(lambda: os.path.exists(self.exit_file), 60), "no exit file")
        return self.read(self.exit_file).strip()

    def control(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.ctl)
        self.addCleanup(s.close)
        return s

    @staticmethod
    def frame(kind, payload=b""):
        return struct.pack(">BI", kind, len(payload)) + payload

    def test_io_log_stdout_and_stderr(self):
        monitor = self.io_run(self.io_plan("sh", "-c", "echo out; echo err >&2; while [ ! -e /go ]; do sleep 0.05; done; "
                                                       "printf tail; exit 3"))
        self.assertEqual(os.stat(self.ctl).st_mode & 0o7777, 0o600, "control socket 0600")
        self.assertTrue(stat_is_socket(self.ctl), "control socket listening when the launcher returns")
        with open(os.path.join(self.rootfs, "go"), "w"):
            pass
        self.assertEqual(os.stat(self.json_log).st_mode & 0o7777, 0o640, "log created 0640")
        self.assertEqual(self.wait_exit(), "exited 3")
        entries = self.log_entries()
        self.assertEqual(sorted((e["stream"], e["log"]) for e in entries),
                         [("stderr", "err\n"), ("stdout", "out\n"), ("stdout", "tail")])
        import datetime
        for e in entries:
            self.assertEqual(list(e), ["log", "stream", "time"])
            self.assertRegex(e["time"], self.TIME_RE)
            t = datetime.datetime.strptime(e["time"][:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
            self.assertLess(abs(t.timestamp() - time.time()), 600, e["time"])
        with open(self.json_log, "rb") as f:
            self.assertIn(b'{"log":"out\\n","stream":"stdout","time":"', f.read())
        self.assertTrue(wait_for(lambda: not pid_alive(monitor)), "monitor exits")
        self.assertFalse(os.path.exists(self.ctl), "control socket removed")

    def test_io_long_lines_split_at_16k(self):
        self.io_run(self.io_plan("sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo; "
                                             "head -c 16384 /dev/zero | tr '\\0' y; echo; echo short"))
        self.assertEqual(self.wait_exit(), "exited 0")
        logs = [e["log"] for e in self.log_entries()]
        self.assertEqual([len(l) for l in logs], [16384, 16384, 40000 - 2 * 16384 + 1, 16384, 1, 6])
        self.assertEqual(logs[0], "x" * 16384)  # partial: no newline
        self.assertEqual(logs[2], "x" * (40000 - 2 * 16384) + "\n")
        self.assertEqual(logs[3:], ["y" * 16384, "\n", "short\n"])

    def test_io_json_escaping_as_docker(self):
        # control characters, quotes, backslash, < > &, valid UTF-8, U+2028, invalid bytes
        payload = b'q"b\\s\t\x01<>&\xc3\xa9\xe2\x80\xa8\xff\xe2\x82\n'
        with open(os.path.join(self.rootfs, "payload"), "wb") as f:
            f.write(payload)
        self.io_run(self.io_plan("cat", "/payload"))
        self.assertEqual(self.wait_exit(), "exited 0")
        with open(self.json_log, "rb") as f:
            raw = f.read()
        expected = (b'{"log":"q\\"b\\\\s\\u0009\\u0001\\u003c\\u003e\\u0026\xc3\xa9\\u2028\\ufffd\\ufffd\\ufffd\\n",'
                    b'"stream":"stdout","time":"')
        self.assertTrue(raw.startswith(expected), raw)
        self.assertEqual(self.log_entries()[0]["log"], 'q"b\\s\t\x01<>&\u00e9\u2028\ufffd\ufffd\ufffd\n')

    def test_io_log_complete_before_exit_file(self):
        n = 100000
        self.io_run(self.io_plan("sh", "-c", f"seq 1 {n}; seq 1 {n} >&2; exit 0"))
        self.assertTrue(wait_for(lambda: os.path.exists(self.exit_file), 60))
        entries = self.log_entries()  # at once: the exit file means the log is complete
        self.assertEqual(len(entries), 2 * n)
        for stream in ("stdout", "stderr"):
            lines = [e["log"] for e in entries if e["stream"] == stream]
            self.assertEqual(lines, [f"{i}\n" for i in range(1, n + 1)])

    def test_io_output_held_outside_a_pid_namespace_does_not_hang(self):
        # no pid namespace: a background process outlives the init and holds its stdout; the monitor
        # stops draining once the output is quiet and writes the exit file all the same
        self.io_run(self.io_plan("sh", "-c", "sleep 120 & echo bg; exit 4", namespaces=(CLONE_NEWNS,)))
        self.assertEqual(self.wait_exit(), "exited 4")
        self.assertEqual(self.log_text(), "bg\n")
        self.assertFalse(os.path.exists(self.ctl))

    def test_io_stdin_from_control_socket(self):
        self.io_run(self.io_plan("cat", open_stdin=True))
        a = self.control()
        a.sendall(self.frame(0, b"hello "))
        b = self.control()  # another client at the same time
        b.sendall(self.frame(0, b"from b\n"))
        self.assertTrue(wait_for(lambda: os.path.exists(self.json_log) and "from b\n" in self.log_text(), 30))
        a.sendall(self.frame(0, b"world\n"))
        self.assertTrue(wait_for(lambda: "world\n" in self.log_text(), 30))
        self.assertTrue(pid_alive(self.pids[-2]), "cat still waits for input")
        b.sendall(self.frame(1))  # close stdin: cat sees EOF
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertEqual(self.log_text("stdout"), "hello from b\nworld\n")
        self.assertFalse(os.path.exists(self.ctl))

    def test_io_stdin_is_dev_null_without_open_stdin(self):
        self.io_run(self.io_plan("sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; cat; echo rc=$?"))
        s = self.control()
        s.sendall(self.frame(0, b"ignored\n"))
        with open(os.path.join(self.rootfs, "go"), "w"):
            pass
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertEqual(self.log_text(), "rc=0\n")

    def assertClosed(self, sock):
        sock.settimeout(30)
        try:
            self.assertEqual(sock.recv(10), b"", "a bad frame closes the client")
        except ConnectionResetError:
            pass  # closed with our bytes unread

    def test_io_bad_clients_harm_nobody(self):
        self.io_run(self.io_plan("cat", open_stdin=True))
        hang = self.control()
        hang.sendall(self.frame(0, b"x" * 10)[:8])  # header and part of the payload, then gone
        hang.close()
        half = self.control()
        half.sendall(b"\x02\x00")  # half a header, then gone
        half.close()
        bad = self.control()
        bad.sendall(self.frame(9, b"??"))  # unknown type: this client is closed
        self.assertClosed(bad)
        bad2 = self.control()
        bad2.sendall(self.frame(2, b"\x00\x01"))  # resize with a short payload
        self.assertClosed(bad2)
        good = self.control()
        good.sendall(self.frame(0, b"still-here\n") + self.frame(1))
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertTrue(self.log_text().endswith("still-here\n"), self.log_text())

    def test_io_never_blocks_on_stdin(self):
        # the process reads no stdin for now: a client sending much fills the bounded buffer and is
        # no longer read; the monitor goes on logging and serving other clients
        script = "while [ ! -e /go ]; do echo tick; sleep 0.05; done; head -c 3; echo; echo end"
        self.io_run(self.io_plan("sh", "-c", script, open_stdin=True))
        flood = self.control()
        flood.sendall(self.frame(0, b"abc" + b"z" * (256 << 20))[:8])  # a 256 MiB frame, begun
        flood.setblocking(False)
        chunk, sent = b"z" * 65536, 0
        while True:
            try:
                sent += flood.send(chunk)
            except BlockingIOError:
                if not select.select([], [flood], [], 2)[1]:
                    break  # not read for 2 s: the monitor stopped reading this client
            self.assertLess(sent, 64 << 20, "the monitor never stopped reading a client it cannot deliver")
        ticks = self.log_text().count("tick")
        self.assertTrue(wait_for(lambda: self.log_text().count("tick") > ticks + 3, 30), "logging goes on")
        other = self.control()
        other.sendall(self.frame(2, struct.pack(">HH", 10, 10)) + self.frame(9))  # served: closed for the bad frame
        self.assertClosed(other)
        with open(os.path.join(self.rootfs, "go"), "w"):
            pass
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertTrue(self.log_text().endswith("tick\nabc\nend\n"), self.log_text()[-200:])
        flood.setblocking(True)
        flood.settimeout(30)
        try:
            self.assertEqual(flood.recv(10), b"", "the flooding client is let go when the monitor ends")
        except ConnectionResetError:
            pass

    def test_io_terminal_resize_and_eof(self):
        self.io_run(self.io_plan("sh", "-c", "read x; stty size; cat; echo cat-done", tty=True, open_stdin=True))
        s = self.control()
        s.sendall(self.frame(2, struct.pack(">HH", 33, 77)) + self.frame(0, b"go\n"))
        self.assertTrue(wait_for(lambda: os.path.exists(self.json_log) and "33 77" in self.log_text(), 30),
                        self.log_text() if os.path.exists(self.json_log) else "no log")
        s.sendall(self.frame(0, b"echoed\n") + self.frame(1))  # close: ^D at a line start = EOF for cat
        self.assertEqual(self.wait_exit(), "exited 0")
        entries = self.log_entries()
        self.assertEqual({e["stream"] for e in entries}, {"stdout"}, "a pty has one stream")
        text = self.log_text()
        self.assertIn("33 77\r\n", text)
        self.assertIn("cat-done", text)

    def test_io_terminal_without_open_stdin_logs(self):
        self.io_run(self.io_plan("sh", "-c", "tty; echo from-tty", tty=True))
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertEqual(self.log_text(), "/dev/pts/0\r\nfrom-tty\r\n")

    def test_io_killed_monitor_leaves_no_socket(self):
        monitor = self.io_run(self.io_plan("sleep", "60"))
        init = self.created_pid()
        self.assertTrue(stat_is_socket(self.ctl))
        os.kill(monitor, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: not pid_alive(monitor)))
        os.kill(init, signal.SIGKILL)
        self.assertEqual(self.wait_exit(), "signaled 9")  # the keeper's
        self.assertTrue(wait_for(lambda: not os.path.exists(self.ctl)), "the keeper removed the socket")

    def test_io_needs_a_detached_run(self):
        log, ctl = os.path.join(self.tmp, "l.log"), os.path.join(self.tmp, "c.sock")
        p = self.plan("true").add(T_LOG_JSON, log).add(T_CONTROL_SOCKET, ctl)  # no monitor
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("T_MONITOR", err)
        p = self.plan("true", action="create", fifo=False).add(T_MONITOR, os.path.join(self.state, "exit"))
        p.add(T_LOG_JSON, log).add(T_CONTROL_SOCKET, ctl)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("T_MONITOR", err)
        p = self.plan("true", fifo=False).add(T_MONITOR, os.path.join(self.state, "exit")).add(T_LOG_JSON, log)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("T_CONTROL_SOCKET", err)
        self.assertFalse(os.path.exists(ctl))
        self.assertEqual(self.container_processes(), [])
        self.assertNoLeftovers()

    def test_io_failed_start_removes_socket(self):
        p = self.io_plan("/no/such/binary")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("/no/such/binary", err)
        self.assertFalse(os.path.exists(self.ctl), "socket removed on failure")
        self.assertEqual(self.container_processes(), [])

    def rotated_logs(self):
        """The log and its rotated files, oldest first."""
        d, base = os.path.dirname(self.json_log), os.path.basename(self.json_log)
        numbered = sorted((int(n[len(base) + 1:]), n) for n in os.listdir(d)
                          if n.startswith(base + ".") and n[len(base) + 1:].isdigit())
        return [os.path.join(d, n) for _, n in reversed(numbered)] + [self.json_log]

    def test_io_log_rotation(self):
        # json-file's max-size=2000 max-file=3: LOG.2, LOG.1, LOG; each file reaches max-size by at
        # most one entry; what is kept is the latest output, contiguous, across the files
        p = self.io_plan("sh", "-c", "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line-$i; done")
        p.add(T_LOG_ROTATE, 2000, 3)
        self.io_run(p)
        self.assertEqual(self.wait_exit(), "exited 0")
        files = self.rotated_logs()
        self.assertEqual([os.path.basename(f) for f in files],
                         [os.path.basename(self.json_log) + s for s in (".2", ".1", "")], "at most max-file files")
        self.assertEqual([n for n in os.listdir(self.tmp) if n.endswith(".rotating")], [], "no temporary file left")
        entries = []
        for f in files:
            part = self.log_entries(f)
            size = os.path.getsize(f)
            last = len(json.dumps(part[-1], separators=(",", ":"))) + 1 if part else 0
            self.assertLess(size - last, 2000, f"{f}: rotated once max-size was reached ({size} bytes)")
            if f != self.json_log:
                self.assertGreaterEqual(size, 2000, f"{f}: rotated only at max-size")
            self.assertEqual(os.stat(f).st_mode & 0o7777, 0o640)
            entries += part
        lines = [e["log"] for e in entries]
        self.assertEqual(lines[-1], "line-2000\n")
        first = int(lines[0][len("line-"):])
        self.assertGreater(first, 1, "older output rotated away")
        self.assertEqual(lines, [f"line-{i}\n" for i in range(first, 2001)], "contiguous across the files")

    def test_io_log_rotation_single_file_and_existing_size(self):
        # max-file=1: the file is truncated instead; the size already in the file counts (a restart)
        self.json_log = os.path.join(self.tmp, "ctr-json.log")
        with open(self.json_log, "w") as f:
            f.write('{"log":"old\\n","stream":"stdout","time":"2026-01-01T00:00:00.000000000Z"}\n' * 40)
        p = self.io_plan("sh", "-c", "echo first; i=0; while [ $i -lt 500 ]; do i=$((i+1)); echo l-$i; done")
        p.add(T_LOG_ROTATE, 1000, 1)
        self.io_run(p)
        self.assertEqual(self.wait_exit(), "exited 0")
        self.assertEqual(self.rotated_logs(), [self.json_log], "one file only")
        lines = [e["log"] for e in self.log_entries()]
        self.assertNotIn("old\n", lines, "the full file was truncated before the first entry")
        self.assertEqual(lines[-1], "l-500\n")
        self.assertLess(os.path.getsize(self.json_log), 1100)

    def test_io_log_rotation_bad_plan(self):
        p = self.io_plan("true")
        p.add(T_LOG_ROTATE, 1000, 0)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("T_LOG_ROTATE", err)
        self.assertFalse(os.path.exists(self.ctl))
        self.assertEqual(self.container_processes(), [])

    def test_io_monitor_rss(self):
        def rss(pid):
            with open(f"/proc/{pid}/status") as f:
                return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])
        self.io_run(self.io_plan("sh", "-c", "seq 1 20000; head -c 40000 /dev/zero | tr '\\0' x; echo; "
                                             "exec sleep 60", open_stdin=True))
        monitor = self.pids[-1]
        s = self.control()
        s.sendall(self.frame(0, b"y" * 100000))
        self.assertTrue(wait_for(lambda: self.log_text().endswith("x\n"), 30))
        with_io = rss(monitor)
        plain = self.plan("sleep", "60", action="run", fifo=False)
        plain.remove(T_STATE_DIR).add(T_STATE_DIR, os.path.join(self.tmp, "state2"))
        os.makedirs(os.path.join(self.tmp, "state2"))
        plain.add(T_MONITOR, os.path.join(self.tmp, "state2", "exit"))
        self.run_ok(plain)
        with open(os.path.join(self.tmp, "state2", "pid")) as f:
            init2 = int(f.read())
        self.pids.append(init2)
        with open(f"/proc/{init2}/status") as f:
            monitor2 = int([l for l in f if l.startswith("PPid:")][0].split()[1])
        self.pids.append(monitor2)
        without = rss(monitor2)
        print(f"\nmonitor RSS: with io {with_io} kB, without {without} kB")
        self.assertLessEqual(with_io, 1024, "monitor with io RSS (kB)")
        self.assertLessEqual(with_io - without, 256, "io costs little")

    # --- security invariants ---------------------------------------------------------------
    def test_cve_2019_5736_runs_from_sealed_memfd(self):
        p = self.plan("true", action="create")
        self.run_ok(p)
        pid = self.created_pid()  # blocked on the fifo, still berth-launch
        self.assertTrue(os.readlink(f"/proc/{pid}/exe").startswith("/memfd:berth-launch"))
        with self.assertRaises(OSError):
            os.open(f"/proc/{pid}/exe", os.O_WRONLY)
        fd = os.open(f"/proc/{pid}/exe", os.O_RDONLY)
        try:
            F_GET_SEALS = 1034
            import fcntl
            seals = fcntl.fcntl(fd, F_GET_SEALS)
            self.assertEqual(seals & 0xf, 0xf)
        finally:
            os.close(fd)
        with open(f"/proc/{pid}/status") as f:
            pass
        self.assertEqual(os.stat(f"/proc/{pid}").st_uid, 0)

    def test_cve_2019_5736_exec_of_proc_self_exe_script(self):
        # the classic attack: a container binary that is "#!/proc/self/exe" makes the runtime run
        # itself inside the container, then writes to it through /proc/<pid>/exe
        import hashlib
        with open(LAUNCH, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        evil = os.path.join(self.rootfs, "bin", "evil")
        with open(evil, "w") as f:
            f.write("#!/proc/self/exe\n")
        os.chmod(evil, 0o755)
        pid = self._running_container()
        # exec'ing it directly makes the launcher's own /proc/self/exe the interpreter: that is the
        # sealed memfd copy, which runs (and rejects its arguments) instead of the host binary
        rc, _, err = self.launch(self._exec_plan(pid, "/bin/evil", types=("mnt", "pid", "uts", "ipc")))
        self.assertEqual(rc, 1)
        self.assertIn("usage: berth-launch", err)
        # what that interpreter would offer to write to is the sealed memfd (see the test above)
        with open(LAUNCH, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before)

    def test_cve_2024_21626_no_leaked_fds(self):
        leak = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, leak)
        os.set_inheritable(leak, True)
        p = self.plan("ls", "/proc/self/fd")
        out = self.run_ok(p, pass_fds=(leak,))
        self.assertEqual(sorted(out.split()), ["0", "1", "2", "3"])  # 3: ls's own directory fd

    def test_preserve_fds(self):
        r, w = os.pipe()
        os.dup2(r, 50)
        os.close(r)
        self.addCleanup(os.close, 50)
        if w != 3:
            os.dup2(w, 3)
            os.close(w)
        os.set_inheritable(3, True)
        try:
            p = self.plan("sh", "-c", "echo via-fd3 >&3")
            p.add(T_PRESERVE_FDS, 1)
            self.run_ok(p, pass_fds=(3,))
        finally:
            os.close(3)
        self.assertEqual(os.read(50, 100), b"via-fd3\n")

    def test_preserve_fds_not_passed_stay_closed(self):
        # two preserved fds announced, none passed: the launcher's own fds must not take their place
        p = self.plan("ls", "/proc/self/fd")
        p.add(T_PRESERVE_FDS, 2).add(T_TERMINAL, 0, 0)
        out = self.run_ok(p)
        self.assertEqual(sorted(out.split()), ["0", "1", "2", "3"])

    def test_cve_2024_21626_cwd_outside_root_refused(self):
        leak = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, leak)
        os.set_inheritable(leak, True)
        p = self.plan("pwd")
        p.remove(T_CWD).add(T_CWD, f"/proc/self/fd/{leak}")
        rc, out, err = self.launch(p, pass_fds=(leak,))
        self.assertEqual(rc, 1, out)
        self.assertRegex(err, r"^berth-runc: .*(cwd|chdir)")
        self.assertNoLeftovers()

    def test_cve_2021_30465_mount_dest_stays_in_rootfs(self):
        outside = tempfile.mkdtemp(prefix="berth-outside-")
        self.addCleanup(shutil.rmtree, outside, True)
        # an absolute symlink escaping the root: must resolve inside the rootfs
        os.symlink("/../../../../../../" + outside.lstrip("/"), os.path.join(self.rootfs, "evil"))
        p = self.plan("sh", "-c", f"grep -c ' {outside} tmpfs' /proc/mounts")
        p.add(T_MOUNT, "tmpfs", "/evil", "tmpfs", 0, "size=1m", 0, "dir")
        self.assertEqual(self.run_ok(p).strip(), "1")
        self.assertEqual(os.listdir(outside), [])
        self.assertNoLeftovers()

    def test_cve_2019_16884_sysctl_refuses_non_procfs(self):
        fake = os.path.join(self.tmp, "fakesys")
        os.makedirs(os.path.join(fake, "kernel"))
        with open(os.path.join(fake, "kernel", "domainname"), "w") as f:
            f.write("")
        p = self.plan("true")
        p.add(T_MOUNT, fake, "/proc/sys", "", MS_BIND | MS_REC, "", 0, "dir")
        p.add(T_SYSCTL, "kernel.domainname", "evil")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("not on procfs", err)
        self.assertEqual(self.read(os.path.join(fake, "kernel", "domainname")), "")

    # --- failures --------------------------------------------------------------------------
    def test_failure_bad_mount_source_cleans_up(self):
        cg = self.cgroup()
        leftover = os.path.join(self.state, "config-copy")
        with open(leftover, "w") as f:
            f.write("x")
        log = os.path.join(self.tmp, "log.json")
        p = self.plan("true", action="create")
        p.add(T_MOUNT, "/nonexistent/source", "/mnt", "", MS_BIND, "", 0, "dir")
        p.add(T_CGROUP, cg).add(T_KILL_CGROUP, cg).add(T_CLEANUP, leftover).add(T_CLEANUP, self.fifo)
        p.add(T_LOG, log, "json").add(T_PID_FILE, os.path.join(self.tmp, "pid"))
        rc, out, err = self.launch(p)
        self.assertEqual(rc, 1)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^berth-runc: .*/nonexistent/source: No such file or directory$")
        entry = json.loads(self.read(log).splitlines()[-1])
        self.assertEqual(entry["level"], "error")
        self.assertIn("/nonexistent/source", entry["msg"])
        self.assertFalse(os.path.exists(cg), "cgroup killed and removed")
        self.assertFalse(os.path.exists(leftover))
        self.assertFalse(os.path.exists(self.fifo))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "pid")))
        self.assertNoLeftovers()
        # no process of ours left with the rootfs as root
        self.assertEqual(self.container_processes(), [])

    def test_failure_after_ready_kills_the_init(self):
        p = self.plan("sleep", "60", action="create")
        p.add(T_PID_FILE, os.path.join(self.tmp, "no", "such", "dir", "pid"))
        p.add(T_CLEANUP, self.fifo)
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("pid file", err)
        self.assertIn("no/such/dir", err)
        self.assertFalse(os.path.exists(self.fifo))
        self.assertEqual(self.container_processes(), [])
        self.assertNoLeftovers()

    def test_failure_in_userns_setup_reports_step(self):
        p = self.plan("true", userns=True)
        p.add(T_MOUNT, "tmpfs", "/bin/busybox/sub", "tmpfs", 0, "", 0, "dir")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^berth-runc: .*/bin/busybox/sub: Not a directory\n$")
        self.assertNoLeftovers()

    def test_refuses_to_touch_the_host(self):
        p = self.plan("true", namespaces=(CLONE_NEWPID,))  # mounts and devices, no mount namespace
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("mounts without a mount namespace of the container's", err)
        p = self.plan("true", namespaces=(CLONE_NEWNS,), fifo=False)
        p.add(T_HOSTNAME, "not-the-host")
        rc, _, err = self.launch(p)
        self.assertEqual(rc, 1)
        self.assertIn("without a new uts namespace", err)
        self.assertNotEqual(os.uname().nodename, "not-the-host")
        self.assertNoLeftovers()

    def test_malformed_plans_fail_cleanly(self):
        import random
        good = self.plan("true", action="create", fifo=False).encode()
        rng = random.Random(5736)
        cases = [good[:n] for n in range(0, len(good), max(1, len(good) // 60))]
        for _ in range(40):
            b = bytearray(good)
            i = rng.randrange(12, len(b))
            b[i] ^= 1 << rng.randrange(8)
            cases.append(bytes(b))
        for case in cases:
            fd = os.memfd_create("bad", 0)
            os.write(fd, case)
            r = subprocess.run([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,), capture_output=True, timeout=10)
            os.close(fd)
            self.assertGreaterEqual(r.returncode, 0, f"crashed on {case!r}")  # no signal death
            if r.returncode != 0:
                self.assertTrue(r.stderr.startswith(b"berth-runc: "), r.stderr)
        self.assertNoLeftovers()
        # a flipped byte may still decode into a plan that creates a container: leave none running
        for pid in self.container_processes():
            os.kill(pid, signal.SIGKILL)

    def test_plan_file_is_taken_and_fifo_created(self):
        # bin/berth-runc's hand-over: a root-only plan file, unlinked by the launcher
        p = self.plan("sh", "-c", "echo from-plan-file", fifo=False)
        p.add(T_EXEC_FIFO, self.fifo)  # not created beforehand: the launcher makes it
        path = os.path.join(self.tmp, "plan.bin")
        with open(path, "wb") as f:
            f.write(p.encode())
        os.chmod(path, 0o600)
        r = subprocess.run([LAUNCH, "--plan-file", path], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        self.assertEqual((r.returncode, r.stdout), (0, "from-plan-file\n"), r.stderr)
        self.assertFalse(os.path.exists(path), "plan file unlinked")
        self.assertFalse(os.path.exists(self.fifo), "fifo consumed by run")

    def test_bad_plan(self):
        fd = os.memfd_create("bad", 0)
        os.write(fd, b"NOTAPLAN")
        r = subprocess.run([LAUNCH, "--plan-fd", str(fd)], pass_fds=(fd,), capture_output=True, text=True)
        os.close(fd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("berth-runc: read plan: malformed plan", r.stderr)


if __name__ == "__main__":
    unittest.main()
