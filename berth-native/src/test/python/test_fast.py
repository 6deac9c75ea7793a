"""Tests of the warm path's normalisation (fast.c): `berth-launch --fast ROOT ACTION DETACH BUNDLE ID
PID-FILE LOG LOG-FORMAT FALLBACK...`.

Under containerd, podman and the CRI every container has its own bundle and its id in the config
(cgroupsPath, hostname, annotations, mount sources under the bundle). The launcher replaces this
call's bundle path and id by marks before it computes the key and before it compares the config
with the template's; a hit instantiates the template with this id and bundle. Each test writes a
template as the JVM would (the normalised config, the marks) under the key the expected normal form
gives, and checks a hit (the template performed: its T_FAST_FILEs written with this id and bundle)
or a miss (the fake FALLBACK script ran, with BERTH_NO_FAST=1 and the key the launcher computed).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from plan import Plan, T_ACTION, T_ID, T_STATE_DIR, T_BUNDLE, T_ROOTFS, T_PID_FILE, T_LOG

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCH = os.environ.get("BERTH_LAUNCH", os.path.join(HERE, "..", "..", "..", "target", "berth-launch"))

T_FAST_STATE_DIR, T_FAST_FILE = 45, 46
ID_MARK, BUNDLE_MARK = "@@BERTH-ID@@", "@@BERTH-BUNDLE@@"


def fnv128(data):
    h0, h1 = 0xcbf29ce484222325, 0x84222325cbf29ce4
    for c in data:
        h0 = ((h0 ^ c) * 0x100000001b3) & (2**64 - 1)
        h1 = ((h1 ^ c) * 0x100000001b3) & (2**64 - 1)
    return "%016x%016x" % (h0, h1)


def config(cid, bundle, extra=None):
    """A config as containerd's CRI writes one: the id in cgroupsPath, hostname and an annotation,
    the bundle in a mount source."""
    c = {"ociVersion": "1.2.0", "hostname": cid, "root": {"path": "rootfs"},
         "process": {"args": ["sleep", "100"], "cwd": "/"},
         "mounts": [{"destination": "/etc/hosts", "source": bundle + "/hosts", "type": "bind",
                     "options": ["rbind", "ro"]}],
         "annotations": {"io.kubernetes.cri.container-id": cid, "io.kubernetes.cri.sandbox-id": "sandbox0123456789"},
         "linux": {"cgroupsPath": "/kubepods/besteffort/pod1234/" + cid}}
    if extra:
        extra(c)
    return json.dumps(c, indent=1).encode()


class FastTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(LAUNCH), f"build {LAUNCH} first")
        self.tmp = tempfile.mkdtemp(prefix="berth-fast-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.root = os.path.join(self.tmp, "state")
        os.makedirs(os.path.join(self.root, ".plan-cache"), mode=0o700)
        os.chmod(os.path.join(self.root, ".plan-cache"), 0o700)
        self.fallback_out = os.path.join(self.tmp, "fallback.out")
        self.script = os.path.join(self.tmp, "berth-runc")
        with open(self.script, "w") as f:
            f.write(f'#!/bin/sh\necho "BERTH_NO_FAST=$BERTH_NO_FAST $BERTH_PLAN_KEY" > {self.fallback_out}\n')
        os.chmod(self.script, 0o755)

    def bundle(self, name, cid, extra=None):
        b = os.path.join(self.tmp, "bundles", name)
        os.makedirs(b)
        with open(os.path.join(b, "config.json"), "wb") as f:
            f.write(config(cid, b, extra))
        return b

    @staticmethod
    def key(normal, pid_file="", log="", log_format="text", action="create", detach="0", root=None, parent="testparent"):
        head = b"".join(s.encode() + b"\0" for s in ["berth-plan-v3", action, detach, root, parent, pid_file, log,
                                                        log_format])
        return fnv128(head + normal)

    def template(self, normal, key, pid_file=None, log=None):
        """The template the JVM leaves: marks for the id and bundle; a rootfs that does not exist, so
        that the launcher, once it has performed the T_FAST_* records, fails at once."""
        d = self.root + "/" + ID_MARK
        p = (Plan().add(T_FAST_STATE_DIR, d)
             .add(T_FAST_FILE, d + "/who", ID_MARK + " " + BUNDLE_MARK)
             .add(T_FAST_FILE, d + "/config.json", normal)
             .add(T_ACTION, "create").add(T_ID, ID_MARK).add(T_STATE_DIR, d).add(T_BUNDLE, BUNDLE_MARK))
        if pid_file:
            p.add(T_PID_FILE, pid_file)
        if log:
            p.add(T_LOG, log, "json")
        p.add(T_ROOTFS, BUNDLE_MARK + "/no-such-rootfs", 0, 0, 0)
        path = os.path.join(self.root, ".plan-cache", key + ".plan")
        with open(path, "wb") as f:
            f.write(p.encode())
        os.chmod(path, 0o600)

    def fast(self, bundle, cid, pid_file="", log="", log_format="text"):
        e = dict(os.environ)
        e.pop("BERTH_NO_FAST", None)
        e["BERTH_CGROUP_PARENT"] = "testparent"
        return subprocess.run([LAUNCH, "--fast", self.root, "create", "0", bundle, cid, pid_file, log, log_format,
                               self.script, "create", cid], capture_output=True, text=True, env=e, timeout=60)

    def fell_back(self):
        if not os.path.exists(self.fallback_out):
            return None
        with open(self.fallback_out) as f:
            out = f.read().rstrip("\n")
        os.unlink(self.fallback_out)
        return out

    def normal(self, extra=None):
        return config(ID_MARK, BUNDLE_MARK, extra)

    def test_id_in_cgroups_path_hostname_annotation_and_bundle_in_a_mount_source_hit(self):
        n = self.normal()
        self.template(n, self.key(n, root=self.root))
        for name, cid in [("b1", "3f9a0c1d2e4b5a6978"), ("b2", "77e1c2d3f4a5b6c7d8")]:
            b = self.bundle(name, cid)
            r = self.fast(b, cid)
            self.assertIsNone(self.fell_back(), r.stderr)
            self.assertNotEqual(r.returncode, 0)  # the rootfs that is not there
            self.assertIn(b + "/no-such-rootfs", r.stderr)
            with open(os.path.join(self.root, cid, "who")) as f:
                self.assertEqual(f.read(), cid + " " + b)
            with open(os.path.join(self.root, cid, "config.json"), "rb") as f, \
                    open(os.path.join(b, "config.json"), "rb") as g:
                self.assertEqual(f.read(), g.read(), "the container's own config, byte for byte")

    def test_the_key_on_a_miss_is_the_normal_forms(self):
        b = self.bundle("b1", "3f9a0c1d2e4b5a6978")
        self.fast(b, "3f9a0c1d2e4b5a6978")
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 " + self.key(self.normal(), root=self.root))
        b2 = self.bundle("b2", "aaaabbbbccccdddd")
        self.fast(b2, "aaaabbbbccccdddd")
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 " + self.key(self.normal(), root=self.root),
                         "another id and bundle, the same key")

    def test_pid_file_and_log_under_the_bundle(self):
        n = self.normal()
        pid, log = BUNDLE_MARK + "/init.pid", BUNDLE_MARK + "/log.json"
        self.template(n, self.key(n, pid_file=pid, log=log, log_format="json", root=self.root), pid_file=pid, log=log)
        cid = "3f9a0c1d2e4b5a6978"
        b = self.bundle("b1", cid)
        r = self.fast(b, cid, b + "/init.pid", b + "/log.json", "json")
        self.assertIsNone(self.fell_back(), r.stderr)
        with open(b + "/log.json") as f:
            self.assertIn("no-such-rootfs", f.read(), "the error went to this bundle's log")
        # the same without --pid-file: another key, a miss
        self.fast(b, "another-id-1234", "", b + "/log.json", "json")
        self.assertTrue(self.fell_back().startswith("BERTH_NO_FAST=1 "))

    def test_an_id_inside_another_field_is_a_miss(self):
        cid = "3f9a0c1d2e4b5a6978"

        def inside(c):
            c["annotations"]["io.test.other"] = "x" + cid + "y"  # cannot tell: the id, or a word that holds it
        n = self.normal()
        self.template(n, self.key(n, root=self.root))
        b = self.bundle("b1", cid, inside)
        r = self.fast(b, cid)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 ", r.stderr)  # no key at all: not normalised
        self.assertFalse(os.path.exists(os.path.join(self.root, cid)))

    def test_an_id_prefix_of_another_id_is_a_miss(self):
        cid = "3f9a0c1d2e4b"

        def sandbox(c):
            c["annotations"]["io.kubernetes.cri.sandbox-id"] = cid + "-sandbox"
        b = self.bundle("b1", cid, sandbox)
        self.fast(b, cid)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 ")

    def test_a_short_id_that_occurs_is_a_miss(self):
        b = self.bundle("b1", "c1")
        self.fast(b, "c1")
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 ")

    def test_a_short_id_that_does_not_occur_is_no_obstacle(self):
        cid = "deadbeef00112233"  # no "c1" in the config, even inside a word
        b = self.bundle("b1", cid)
        self.fast(b, "c1")  # the config names another id: nothing of "c1" to replace
        with open(os.path.join(b, "config.json"), "rb") as f:
            raw = f.read()
        n = raw.replace(b.encode(), BUNDLE_MARK.encode())
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 " + self.key(n, root=self.root))

    def test_a_bundle_inside_a_longer_path_is_a_miss(self):
        cid = "3f9a0c1d2e4b5a6978"

        def longer(c):
            c["mounts"].append({"destination": "/x", "source": "/elsewhere" + c["mounts"][0]["source"][:-6],
                                "type": "bind"})
        b = self.bundle("b1", cid, longer)
        self.fast(b, cid)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 ")

    def test_a_config_that_holds_a_mark_is_a_miss(self):
        cid = "3f9a0c1d2e4b5a6978"

        def mark(c):
            c["annotations"]["io.test.mark"] = BUNDLE_MARK
        b = self.bundle("b1", cid, mark)
        self.fast(b, cid)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 ")

    def test_a_template_whose_normal_config_differs_is_not_used(self):
        n = self.normal()
        other = self.normal(lambda c: c["process"].update(args=["sh"]))
        self.template(other, self.key(n, root=self.root))  # the right name, another content (a collision)
        cid = "3f9a0c1d2e4b5a6978"
        b = self.bundle("b1", cid)
        self.fast(b, cid)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 " + self.key(n, root=self.root))
        self.assertFalse(os.path.exists(os.path.join(self.root, cid)))


if __name__ == "__main__":
    unittest.main()
