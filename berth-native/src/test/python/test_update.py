"""Tests of `berth-launch --update` (update.c) against directory trees laid out like cgroupfs.

The launcher reads the container's hierarchies only from its verbs record (`<root>/<id>/verbs`,
T_VERBS_CONTROLLERS: controllers and the container's directory in each hierarchy, as the JVM's
VerbsRecord writes them from CgroupLayout); it reads no mountinfo. So each test writes that record
naming fake trees (regular files): a v2-only controller cannot be had for real on these hosts (the
v1 hierarchies hold them all). A write the kernel refuses is had with a read-only bind in a private
mount namespace. Whatever the launcher does not handle it hands to the wrapper script with
BERTH_NO_FAST=1; the fake script records that.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from plan import Plan, T_VERBS_STATE, T_VERBS_CGROUP, T_VERBS_HOOKS, T_VERBS_CONTROLLERS

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCH = os.environ.get("BERTH_LAUNCH", os.path.join(HERE, "..", "..", "..", "target", "berth-launch"))

V1_UNLIMITED = "9223372036854771712"
V1_FILES = {
    "memory": {"memory.limit_in_bytes": V1_UNLIMITED, "memory.memsw.limit_in_bytes": V1_UNLIMITED,
               "memory.soft_limit_in_bytes": V1_UNLIMITED},
    "cpu": {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1"},
    "cpuset": {"cpuset.cpus": "0-1", "cpuset.mems": "0"},
    "pids": {"pids.max": "max"},
}
V2_FILES = {
    "cgroup.controllers": "cpuset cpu io memory pids", "cpuset.cpus": "", "cpuset.mems": "",
    "memory.max": "max", "memory.swap.max": "max", "memory.low": "0", "memory.current": "4096",
    "cpu.weight": "100", "cpu.max": "max 100000", "io.weight": "default 100", "pids.max": "max",
}
FLAGS = ["--memory", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-shares", "512",
         "--cpu-quota", "50000", "--cpu-period", "100000", "--cpuset-cpus", "1", "--cpuset-mems", "0",
         "--pids-limit", "40"]


def can_unshare_mounts():
    return os.geteuid() == 0 and shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode == 0


class UpdateTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(LAUNCH), f"build {LAUNCH} first")
        self.tmp = tempfile.mkdtemp(prefix="berth-update-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.fake = os.path.join(self.tmp, "fake")  # hierarchy name -> fake tree
        self.root = os.path.join(self.tmp, "state")
        self.sleeper = subprocess.Popen(["sleep", "60"])
        self.addCleanup(self.sleeper.wait)
        self.addCleanup(self.sleeper.kill)
        state = os.path.join(self.root, "c1")
        os.makedirs(state)
        with open(os.path.join(state, "pid"), "w") as f:
            f.write(str(self.sleeper.pid))
        with open(os.path.join(state, "state.json"), "w") as f:
            f.write('{"id": "c1", "cgroupsPath": "/elsewhere/c1", "owner": "root"}')  # not read: the JVM's
        self.controllers = True  # the verbs record has T_VERBS_CONTROLLERS (else: an older berth's)
        self.fallback_out = os.path.join(self.tmp, "fallback.out")
        self.script = os.path.join(self.tmp, "berth-runc")
        with open(self.script, "w") as f:
            f.write(f'#!/bin/sh\necho "BERTH_NO_FAST=$BERTH_NO_FAST $*" > {self.fallback_out}\n')
        os.chmod(self.script, 0o755)

    def tree(self, name, files):
        d = os.path.join(self.fake, name, "berth", "c1")
        os.makedirs(d)
        for k, v in files.items():
            with open(os.path.join(d, k), "w") as f:
                f.write(v + "\n")
        return d

    def v2(self, **override):
        return self.tree("unified", {**V2_FILES, **override})

    def v1(self, controller, **override):
        return self.tree(controller, {**V1_FILES[controller], **override})

    def verbs(self):
        """<root>/c1/verbs as the JVM writes it (VerbsRecord): one T_VERBS_CONTROLLERS per fake tree."""
        p = Plan().add(T_VERBS_STATE, "1.2.0", "c1", "/bundles/c1", "/bundles/c1/rootfs",
                       "2026-12-05T12:00:00.123456789Z", "root", "0")
        names = sorted(os.listdir(self.fake)) if os.path.isdir(self.fake) else []
        for name in names:
            p.add(T_VERBS_CGROUP, os.path.join(self.fake, name, "berth", "c1"))
        p.add(T_VERBS_HOOKS, "0", "0")
        if self.controllers:
            for name in names:  # v1 first, then the cgroup2 hierarchy (CgroupLayout.mounts's order)
                if name != "unified":
                    p.add(T_VERBS_CONTROLLERS, name, os.path.join(self.fake, name, "berth", "c1"))
            if "unified" in names:
                p.add(T_VERBS_CONTROLLERS, "", os.path.join(self.fake, "unified", "berth", "c1"))
        with open(os.path.join(self.root, "c1", "verbs"), "wb") as f:
            f.write(p.encode())

    def update(self, *flags, readonly=()):
        """Runs the launcher's update with the fake trees as the container's cgroups; True if it fell back."""
        self.verbs()
        cmd = [LAUNCH, "--update", self.script, "--root", self.root, "update", *flags, "c1"]
        if readonly:  # a write the "kernel" refuses (EROFS)
            if not can_unshare_mounts():
                self.fail("a refused write needs root and unshare(1) (a read-only bind in a private mount namespace)")
            setup = ["set -e"] + [f"mount --bind {f} {f} && mount -o remount,bind,ro {f}" for f in readonly]
            setup.append('exec "$@"')
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", "\n".join(setup), "sh", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        if os.path.exists(self.fallback_out):
            with open(self.fallback_out) as f:
                out = f.read()
            os.unlink(self.fallback_out)
            self.assertTrue(out.startswith("BERTH_NO_FAST=1 --root "), out)
            return True
        return False

    @staticmethod
    def read(d, name):
        with open(os.path.join(d, name)) as f:
            return f.read().strip()

    def test_v2_common_flags_with_the_jvms_conversions(self):
        d = self.v2()
        self.assertFalse(self.update(*FLAGS, "--blkio-weight", "500"))
        self.assertEqual(self.read(d, "memory.max"), str(64 << 20))
        self.assertEqual(self.read(d, "memory.swap.max"), str(64 << 20))  # memory+swap 128m - memory 64m
        self.assertEqual(self.read(d, "memory.low"), str(32 << 20))
        self.assertEqual(self.read(d, "cpu.weight"), "20")  # 1 + (512 - 2) * 9999 / 262142
        self.assertEqual(self.read(d, "cpu.max"), "50000 100000")
        self.assertEqual(self.read(d, "cpuset.cpus"), "1")
        self.assertEqual(self.read(d, "cpuset.mems"), "0")
        self.assertEqual(self.read(d, "pids.max"), "40")
        self.assertEqual(self.read(d, "io.weight"), "default 4950")  # 1 + (500 - 10) * 9999 / 990

    def test_v2_half_of_cpu_max_keeps_the_other_half(self):
        d = self.v2(**{"cpu.max": "max 250000"})
        self.assertFalse(self.update("--cpu-quota", "20000"))
        self.assertEqual(self.read(d, "cpu.max"), "20000 250000")
        self.assertFalse(self.update("--cpu-period", "50000"))
        self.assertEqual(self.read(d, "cpu.max"), "20000 50000")
        self.assertFalse(self.update("--cpu-quota", "-1"))
        self.assertEqual(self.read(d, "cpu.max"), "max 50000")

    def test_v2_unlimited_and_pids_zero(self):
        d = self.v2(**{"memory.max": "1048576", "memory.swap.max": "0"})
        self.assertFalse(self.update("--memory", "-1", "--memory-swap", "-1", "--memory-reservation", "-1",
                                     "--pids-limit", "0"))
        self.assertEqual(self.read(d, "memory.max"), "max")
        self.assertEqual(self.read(d, "memory.swap.max"), "max")
        self.assertEqual(self.read(d, "memory.low"), "max")
        self.assertEqual(self.read(d, "pids.max"), "max")

    def test_v2_swap_alone_is_relative_to_the_limit_in_force(self):
        d = self.v2(**{"memory.max": str(100 << 20)})
        self.assertFalse(self.update("--memory-swap", "300m"))
        self.assertEqual(self.read(d, "memory.swap.max"), str(200 << 20))
        self.assertEqual(self.read(d, "memory.max"), str(100 << 20))

    def test_v2_what_the_jvm_checks_goes_to_the_jvm_untouched(self):
        d = self.v2(**{"memory.current": str(100 << 20)})
        cases = [
            ("--memory", "64m"),  # below the usage: v2 would reclaim, then OOM-kill; the JVM decides
            ("--memory-swap", "64m"),  # swap with memory unlimited
            ("--memory", "64m", "--memory-swap", "32m"),  # memory+swap below memory
            ("--cpu-shares", "1"), ("--cpu-shares", "262145"),  # outside 2-262144
            ("--cpu-period", "999"), ("--cpu-quota", "999"),
            ("--blkio-weight", "5"),
            ("--cpu-rt-runtime", "5"),  # a flag the launcher does not handle
        ]
        before = {f: self.read(d, f) for f in V2_FILES}
        for flags in cases:
            with self.subTest(flags=flags):
                self.assertTrue(self.update(*flags, "--pids-limit", "7"))
                self.assertEqual({f: self.read(d, f) for f in V2_FILES}, before)

    def test_v2_refusal_restores_every_old_value(self):
        d = self.v2(**{"memory.max": "1048576000", "cpu.max": "30000 100000"})
        self.assertTrue(self.update(*FLAGS, readonly=[os.path.join(d, "pids.max")]))  # pids.max is written last
        self.assertEqual(self.read(d, "memory.max"), "1048576000")
        self.assertEqual(self.read(d, "memory.swap.max"), "max")
        self.assertEqual(self.read(d, "cpu.max"), "30000 100000")
        self.assertEqual(self.read(d, "cpu.weight"), "100")
        self.assertEqual(self.read(d, "cpuset.cpus"), "")

    def test_v2_bfq_weight_is_written_as_is(self):
        d = self.v2(**{"io.bfq.weight": "default 100"})
        self.assertFalse(self.update("--blkio-weight", "300"))
        self.assertEqual(self.read(d, "io.bfq.weight"), "300")
        self.assertEqual(self.read(d, "io.weight"), "default 100")

    def test_v1_unchanged(self):
        dirs = {c: self.v1(c) for c in V1_FILES}
        self.assertFalse(self.update(*FLAGS))
        self.assertEqual(self.read(dirs["memory"], "memory.limit_in_bytes"), str(64 << 20))
        self.assertEqual(self.read(dirs["memory"], "memory.memsw.limit_in_bytes"), str(128 << 20))
        self.assertEqual(self.read(dirs["memory"], "memory.soft_limit_in_bytes"), str(32 << 20))
        self.assertEqual(self.read(dirs["cpu"], "cpu.shares"), "512")
        self.assertEqual(self.read(dirs["cpu"], "cpu.cfs_quota_us"), "50000")
        self.assertEqual(self.read(dirs["cpu"], "cpu.cfs_period_us"), "100000")
        self.assertEqual(self.read(dirs["cpuset"], "cpuset.cpus"), "1")
        self.assertEqual(self.read(dirs["pids"], "pids.max"), "40")
        self.assertFalse(self.update("--cpu-quota", "-1", "--pids-limit", "0", "--memory", "-1"))
        self.assertEqual(self.read(dirs["cpu"], "cpu.cfs_quota_us"), "-1")
        self.assertEqual(self.read(dirs["pids"], "pids.max"), "max")
        self.assertEqual(self.read(dirs["memory"], "memory.limit_in_bytes"), "-1")
        # v1 has no blkio weight handling here: the JVM's
        self.assertTrue(self.update("--blkio-weight", "500"))
        # a refusal: the memory and cpu written before it are restored
        self.assertTrue(self.update("--memory", "32m", "--cpu-shares", "100", "--pids-limit", "9",
                                    readonly=[os.path.join(dirs["pids"], "pids.max")]))
        self.assertEqual(self.read(dirs["memory"], "memory.limit_in_bytes"), "-1")
        self.assertEqual(self.read(dirs["cpu"], "cpu.shares"), "512")

    def test_hybrid_each_controller_where_it_is_bound(self):
        mem = self.v1("memory")
        u = self.v2()
        self.assertFalse(self.update("--memory", "64m", "--cpu-shares", "2048", "--pids-limit", "12"))
        self.assertEqual(self.read(mem, "memory.limit_in_bytes"), str(64 << 20))
        self.assertEqual(self.read(u, "memory.max"), "max")  # memory is v1's here
        self.assertEqual(self.read(u, "cpu.weight"), "79")  # 1 + 2046 * 9999 / 262142
        self.assertEqual(self.read(u, "pids.max"), "12")

    def test_a_verbs_record_without_controllers_goes_to_the_jvm(self):
        pids = self.v1("pids")
        self.assertFalse(self.update("--pids-limit", "40"))
        self.assertEqual(self.read(pids, "pids.max"), "40")
        self.controllers = False  # a container created by a berth before T_VERBS_CONTROLLERS (58)
        self.assertTrue(self.update("--pids-limit", "50"))
        self.assertEqual(self.read(pids, "pids.max"), "40")

    def test_no_verbs_record_or_a_broken_one_goes_to_the_jvm(self):
        pids = self.v1("pids")
        self.assertFalse(self.update("--pids-limit", "40"))
        verbs = os.path.join(self.root, "c1", "verbs")
        cmd = [LAUNCH, "--update", self.script, "--root", self.root, "update", "--pids-limit", "50", "c1"]
        with open(verbs, "rb") as f:
            whole = f.read()
        good = Plan().add(T_VERBS_STATE, "1.2.0", "c1", "/b", "/b/rootfs", "2026-12-05T12:00:00Z", "root", "0")
        for name, content in [("missing", None), ("empty", b""), ("truncated", whole[:40]),
                              ("relative dir", Plan().add(T_VERBS_STATE, *good.records[0][1])
                               .add(T_VERBS_CONTROLLERS, "pids", "berth/c1").encode()),
                              ("dot-dot", Plan().add(T_VERBS_STATE, *good.records[0][1])
                               .add(T_VERBS_CONTROLLERS, "pids", pids + "/../../x").encode()),
                              ("one field", Plan().add(T_VERBS_STATE, *good.records[0][1])
                               .add(T_VERBS_CONTROLLERS, pids).encode()),
                              ("another id", Plan().add(T_VERBS_STATE, "1.2.0", "c2", "/b", "/b/rootfs", "x", "root", "0")
                               .add(T_VERBS_CONTROLLERS, "pids", pids).encode())]:
            with self.subTest(name):
                if content is None:
                    os.unlink(verbs)
                else:
                    with open(verbs, "wb") as f:
                        f.write(content)
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)  # no crash: the JVM path decides
                with open(self.fallback_out) as f:
                    self.assertTrue(f.read().startswith("BERTH_NO_FAST=1 --root "))
                os.unlink(self.fallback_out)
                self.assertEqual(self.read(pids, "pids.max"), "40")

    def test_controllers_co_mounted_in_one_hierarchy(self):
        d = self.tree("cpu,cpuacct", V1_FILES["cpu"])
        self.assertFalse(self.update("--cpu-quota", "30000", "--cpu-shares", "256"))
        self.assertEqual(self.read(d, "cpu.cfs_quota_us"), "30000")
        self.assertEqual(self.read(d, "cpu.shares"), "256")

    def test_no_v1_hierarchy_and_no_cgroup2_goes_to_the_jvm(self):
        os.makedirs(self.fake)
        self.assertTrue(self.update("--memory", "64m"))


if __name__ == "__main__":
    unittest.main()
