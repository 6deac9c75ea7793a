"""Tests of `berth-launch --verb` (verbs.c): state, kill, delete, start, pause, resume, ps without a JVM.

Each test lays out a state root as the JVM leaves it (<root>/<id>/verbs in the plan format, the pid
file, the exec fifo) for a real process of this test, with cgroup directories that are plain
directories holding regular files (cgroup.procs, freezer.state or cgroup.freeze): the verbs read and
write them as they would the kernel's. Whatever the launcher does not handle it hands to the wrapper
script with BERTH_NO_FAST=1; the fake script here records that.
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from plan import Plan

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCH = os.environ.get("BERTH_LAUNCH", os.path.join(HERE, "..", "..", "..", "target", "berth-launch"))

T_VERBS_STATE, T_VERBS_ANNOTATION, T_VERBS_CGROUP, T_VERBS_HOOKS = 52, 53, 54, 55


def instant(t):
    """Java's Instant.toString of a time.time() value."""
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d000Z" % d.microsecond


class VerbsTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(LAUNCH), f"build {LAUNCH} first")
        self.tmp = tempfile.mkdtemp(prefix="berth-verbs-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.root = os.path.join(self.tmp, "state")
        self.cg = os.path.join(self.tmp, "cg")  # hierarchy -> parent -> id
        self.fallback_out = os.path.join(self.tmp, "fallback.out")
        self.script = os.path.join(self.tmp, "berth-runc")
        with open(self.script, "w") as f:
            f.write(f'#!/bin/sh\necho "BERTH_NO_FAST=$BERTH_NO_FAST $*" > {self.fallback_out}\n'
                    f'echo "$BERTH_EXEC_KEY" > {self.fallback_out}.key\n')
        os.chmod(self.script, 0o755)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()

    def spawn(self, *argv):
        p = subprocess.Popen(list(argv) or ["sleep", "60"])
        self.procs.append(p)
        return p

    def container(self, cid="c1", pid=None, created=None, fifo=False, freezer=None, annotations=(), hooks=("0", "0"),
                  monitored="0", procs=None, cgroup_files=True):
        """A state directory and cgroup dirs (memory, and freezer v1/v2 if asked) for process pid."""
        d = os.path.join(self.root, cid)
        os.makedirs(d)
        if pid is not None:
            with open(os.path.join(d, "pid"), "w") as f:
                f.write(str(pid))
        if fifo:
            os.mkfifo(os.path.join(d, "exec.fifo"), 0o622)
        dirs = []
        for h in ["memory"] + (["freezer"] if freezer == "v1" else ["unified"] if freezer == "v2" else []):
            cd = os.path.join(self.cg, h, "testparent", cid)
            os.makedirs(cd)
            dirs.append(cd)
            if cgroup_files:
                with open(os.path.join(cd, "cgroup.procs"), "w") as f:
                    f.write("".join(f"{p}\n" for p in (procs if procs is not None else [pid] if pid else [])))
            if h == "freezer":
                with open(os.path.join(cd, "freezer.state"), "w") as f:
                    f.write("THAWED\n")
            if h == "unified":
                with open(os.path.join(cd, "cgroup.freeze"), "w") as f:
                    f.write("0\n")
        p = Plan().add(T_VERBS_STATE, "1.2.0", cid, "/bundles/" + cid, "/bundles/" + cid + "/rootfs",
                       created or instant(time.time() - 1), "root", monitored)
        for k, v in annotations:
            p.add(T_VERBS_ANNOTATION, k, v)
        for cd in dirs:
            p.add(T_VERBS_CGROUP, cd)
        p.add(T_VERBS_HOOKS, *hooks)
        with open(os.path.join(d, "verbs"), "wb") as f:
            f.write(p.encode())
        return d, dirs

    def verb(self, *args, env=None):
        e = dict(os.environ)
        e.pop("BERTH_NO_FAST", None)
        e["BERTH_CGROUP_PARENT"] = "testparent"
        e.update(env or {})
        return subprocess.run([LAUNCH, "--verb", self.script, "--root", self.root, *args], capture_output=True,
                              text=True, env=e, timeout=60)

    def fell_back(self):
        if not os.path.exists(self.fallback_out):
            return None
        with open(self.fallback_out) as f:
            return f.read().strip()

    def state(self, cid="c1"):
        r = self.verb("state", cid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(self.fell_back())
        return json.loads(r.stdout)

    # state

    def test_state_running_is_exactly_the_jvms_json(self):
        p = self.spawn()
        created = instant(time.time() - 1)
        self.container(pid=p.pid, created=created, annotations=[("a", 'x"y\\z\n'), ("b", "é")])
        r = self.verb("state", "c1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"c1\",\n  \"pid\": %d,\n"
                         "  \"status\": \"running\",\n  \"bundle\": \"/bundles/c1\",\n"
                         "  \"rootfs\": \"/bundles/c1/rootfs\",\n  \"created\": \"%s\",\n  \"owner\": \"root\",\n"
                         "  \"annotations\": {\n    \"a\": \"x\\\"y\\\\z\\n\",\n    \"b\": \"é\"\n  }\n}\n"
                         % (p.pid, created))
        self.assertEqual(json.loads(r.stdout)["annotations"], {"a": 'x"y\\z\n', "b": "é"})

    def test_state_created_while_the_fifo_is_there(self):
        p = self.spawn()
        self.container(pid=p.pid, fifo=True)
        self.assertEqual(self.state()["status"], "created")

    def test_state_stopped_when_the_init_is_gone_or_older_than_the_container(self):
        p = self.spawn()
        p.kill()
        p.wait()
        self.container(pid=p.pid)
        s = self.state()
        self.assertEqual((s["status"], s["pid"]), ("stopped", 0))
        q = self.spawn()
        # a live process that started long before the container was created: a reused pid
        self.container(cid="c2", pid=q.pid, created=instant(time.time() + 3600))
        self.assertEqual(self.state("c2")["status"], "stopped")

    def test_state_paused_by_v1_and_v2_freezers(self):
        p = self.spawn()
        _, dirs = self.container(pid=p.pid, freezer="v1")
        with open(os.path.join(dirs[1], "freezer.state"), "w") as f:
            f.write("FROZEN\n")
        self.assertEqual(self.state()["status"], "paused")
        _, dirs = self.container(cid="c2", pid=p.pid, freezer="v2")
        self.assertEqual(self.state("c2")["status"], "running")
        with open(os.path.join(dirs[1], "cgroup.events"), "w") as f:
            f.write("populated 1\nfrozen 1\n")
        self.assertEqual(self.state("c2")["status"], "paused")

    def test_state_exit_status_of_a_monitored_container(self):
        p = self.spawn()
        p.kill()
        p.wait()
        d, _ = self.container(pid=p.pid, monitored="1")
        with open(os.path.join(d, "exit"), "w") as f:
            f.write("exited 3\n")
        r = self.verb("state", "c1")
        self.assertIn('  "owner": "root",\n  "exitStatus": "exited 3",\n  "annotations": {}\n}\n', r.stdout)

    def test_unknown_id_as_the_jvm_says_it_also_in_a_json_log(self):
        log = os.path.join(self.tmp, "log.json")
        for verb in ("state", "kill", "start", "pause", "resume", "delete"):
            r = subprocess.run([LAUNCH, "--verb", self.script, "--root", self.root, "--log", log, "--log-format",
                                "json", verb, "nope"], capture_output=True, text=True)
            self.assertEqual((r.returncode, r.stderr), (1, 'berth-runc: container "nope" does not exist\n'), verb)
        with open(log) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(len(lines), 6)
        self.assertEqual((lines[0]["level"], lines[0]["msg"]), ("error", 'container "nope" does not exist'))
        r = self.verb("delete", "--force", "nope")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIsNone(self.fell_back())

    # kill

    def test_kill_by_name_and_number(self):
        for sig, expect in (("TERM", -15), ("SIGKILL", -9), ("10", -10), ("usr2", -12)):
            p = self.spawn()
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.cg, ignore_errors=True)
            self.container(pid=p.pid)
            r = self.verb("kill", "c1", sig)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(p.wait(timeout=10), expect, sig)
        self.assertIsNone(self.fell_back())

    def test_kill_default_is_sigterm_and_all_signals_every_process_in_the_cgroup(self):
        p, q = self.spawn(), self.spawn()
        self.container(pid=p.pid, procs=[p.pid, q.pid])
        r = self.verb("kill", "--all", "c1", "KILL")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((p.wait(timeout=10), q.wait(timeout=10)), (-9, -9))
        p = self.spawn()
        self.container(cid="c2", pid=p.pid)
        self.assertEqual(self.verb("kill", "c2").returncode, 0)
        self.assertEqual(p.wait(timeout=10), -15)

    def test_kill_of_a_stopped_container_fails(self):
        p = self.spawn()
        p.kill()
        p.wait()
        self.container(pid=p.pid)
        r = self.verb("kill", "c1", "9")
        self.assertEqual((r.returncode, r.stderr), (1, 'berth-runc: cannot kill container "c1": it is stopped\n'))

    # pause / resume / ps

    def test_pause_and_resume_write_the_freezer(self):
        p = self.spawn()
        _, dirs = self.container(pid=p.pid, freezer="v1")
        state = os.path.join(dirs[1], "freezer.state")
        r = self.verb("resume", "c1")
        self.assertEqual((r.returncode, r.stderr), (1, 'berth-runc: cannot resume container "c1": it is running\n'))
        self.assertEqual(self.verb("pause", "c1").returncode, 0)
        with open(state) as f:
            self.assertEqual(f.read(), "FROZEN")
        r = self.verb("pause", "c1")
        self.assertEqual((r.returncode, r.stderr), (1, 'berth-runc: cannot pause container "c1": it is paused\n'))
        self.assertEqual(self.verb("resume", "c1").returncode, 0)
        with open(state) as f:
            self.assertEqual(f.read(), "THAWED")
        _, dirs = self.container(cid="c2", pid=p.pid, freezer="v2")
        self.assertEqual(self.verb("pause", "c2").returncode, 0)
        with open(os.path.join(dirs[1], "cgroup.freeze")) as f:
            self.assertEqual(f.read(), "1")
        self.assertEqual(self.verb("resume", "c2").returncode, 0)
        self.assertIsNone(self.fell_back())

    def test_ps_json(self):
        p, q = self.spawn(), self.spawn()
        self.container(pid=p.pid, procs=[q.pid, p.pid])
        r = self.verb("ps", "--format", "json", "c1")
        self.assertEqual((r.returncode, r.stdout), (0, "[%d, %d]\n" % tuple(sorted([p.pid, q.pid]))))
        self.assertEqual(self.verb("ps", "-f", "json", "c1").stdout, r.stdout)

    # delete

    def test_delete_refuses_a_running_container_and_force_kills_and_removes_everything(self):
        p = self.spawn()
        d, dirs = self.container(pid=p.pid, cgroup_files=False)  # empty dirs: rmdir works as on cgroupfs
        r = self.verb("delete", "c1")
        self.assertEqual((r.returncode, r.stderr),
                         (1, 'berth-runc: cannot delete container "c1": it is running (stop it first, or use --force)\n'))
        self.assertTrue(os.path.isdir(d))
        r = self.verb("delete", "-f", "c1")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(p.wait(timeout=10), -9)
        self.assertFalse(os.path.exists(d))
        self.assertFalse(os.path.exists(dirs[0]))
        self.assertFalse(os.path.exists(os.path.dirname(dirs[0])), "the emptied default parent goes too")
        self.assertIsNone(self.fell_back())

    def test_delete_of_a_stopped_container(self):
        p = self.spawn()
        p.kill()
        p.wait()
        d, _ = self.container(pid=p.pid, cgroup_files=False)
        self.assertEqual(self.verb("delete", "c1").returncode, 0)
        self.assertFalse(os.path.exists(d))

    # start

    def init_at_fifo(self, d, then):
        """A process standing for an init blocked on the exec fifo: writes '0' and `then`, closes, sleeps."""
        fifo = os.path.join(d, "exec.fifo")
        return self.spawn("sh", "-c", f'exec 3>"{fifo}"; printf "0{then}" >&3; exec 3>&-; exec sleep 60')

    def test_start_releases_the_init_and_removes_the_fifo(self):
        d, _ = self.container(fifo=True)
        p = self.init_at_fifo(d, "")
        with open(os.path.join(d, "pid"), "w") as f:
            f.write(str(p.pid))
        r = self.verb("start", "c1")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertFalse(os.path.exists(os.path.join(d, "exec.fifo")))
        self.assertEqual(self.state()["status"], "running")
        r = self.verb("start", "c1")
        self.assertEqual((r.returncode, r.stderr), (1, 'berth-runc: cannot start container "c1": it is running\n'))

    def test_start_fails_with_the_inits_error(self):
        d, _ = self.container(fifo=True)
        p = self.init_at_fifo(d, "exec /bin/nope: No such file or directory")
        with open(os.path.join(d, "pid"), "w") as f:
            f.write(str(p.pid))
        r = self.verb("start", "c1")
        self.assertEqual((r.returncode, r.stderr), (1, "berth-runc: exec /bin/nope: No such file or directory\n"))

    # what goes back to the JVM, untouched

    def test_falls_back_for_what_it_does_not_handle(self):
        p = self.spawn()
        d, _ = self.container(pid=p.pid, hooks=("1", "1"), fifo=True)
        cases = [
            ["--debug", "state", "c1"],  # a global flag it does not take
            ["state", "c1", "extra"],
            ["state", ".bad"],  # the JVM says what is wrong with the id
            ["kill", "c1", "RTMIN+2"],
            ["kill", "c1", "NOSUCH"],
            ["ps", "c1"],  # table: the JVM runs ps
            ["exec", "c1", "true"],
            ["delete", "-f", "c1"],  # poststop hooks: the JVM runs them
            ["start", "c1"],  # poststart hooks
        ]
        for args in cases:
            if os.path.exists(self.fallback_out):
                os.unlink(self.fallback_out)
            r = self.verb(*args)
            self.assertEqual(r.returncode, 0, f"{args}: {r.stderr}")
            self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 --root " + self.root + " " + " ".join(args))
        self.assertIsNone(p.poll(), "nothing was done before falling back")
        self.assertTrue(os.path.isdir(d))
        self.container(cid="c2", pid=p.pid)
        os.unlink(os.path.join(self.root, "c2", "pid"))  # a create under way: the JVM knows
        os.unlink(self.fallback_out)
        self.verb("state", "c2")
        self.assertIsNotNone(self.fell_back())
        os.makedirs(os.path.join(self.root, "c3"))  # no record: an older berth's
        os.unlink(self.fallback_out)
        self.verb("state", "c3")
        self.assertIsNotNone(self.fell_back())

    # exec: only from a template the JVM left; otherwise the JVM, with the key when the form is the shim's

    def test_exec_without_a_template_goes_to_the_jvm_with_the_key(self):
        p = self.spawn()
        d, _ = self.container(pid=p.pid)
        proc = os.path.join(self.tmp, "process.json")
        with open(proc, "w") as f:
            f.write('{"args": ["true"], "cwd": "/"}')
        args = ["exec", "--process", proc, "--detach", "--pid-file", os.path.join(self.tmp, "e.pid"), "c1"]
        self.assertEqual(self.verb(*args).returncode, 0)
        self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 --root " + self.root + " " + " ".join(args))
        with open(self.fallback_out + ".key") as f:
            key = f.read().strip()
        self.assertRegex(key, "^[0-9a-f]{32}$")
        self.assertEqual(self.verb(*args).returncode, 0)
        with open(self.fallback_out + ".key") as f:
            self.assertEqual(f.read().strip(), key, "the same command, the same key")
        with open(proc, "w") as f:
            f.write('{"args": ["false"], "cwd": "/"}')
        self.verb(*args)
        with open(self.fallback_out + ".key") as f:
            self.assertNotEqual(f.read().strip(), key, "another process.json, another key")
        # a template that is not for this process.json is removed, and the JVM takes over
        cache = os.path.join(d, "exec-cache")
        os.mkdir(cache, 0o700)
        with open(self.fallback_out + ".key") as f:
            key2 = f.read().strip()
        tpl = os.path.join(cache, key2 + ".plan")
        with open(tpl, "wb") as f:
            f.write(Plan().add(56, b'{"args": ["other"]}').add(1, "exec").add(2, "c1").encode())
        os.unlink(self.fallback_out)
        self.verb(*args)
        self.assertIsNotNone(self.fell_back())
        self.assertFalse(os.path.exists(tpl))

    def test_exec_forms_it_does_not_take_go_to_the_jvm_without_a_key(self):
        p = self.spawn()
        self.container(pid=p.pid)
        for args in (["exec", "c1", "true"], ["exec", "--process", "rel.json", "c1"],
                     ["exec", "--process", "/p.json", "--pid-file", "rel.pid", "c1"],
                     ["exec", "--tty", "--process", "/p.json", "c1"], ["exec", "--process", "/p.json", "nosuch"]):
            self.verb(*args)
            self.assertEqual(self.fell_back(), "BERTH_NO_FAST=1 --root " + self.root + " " + " ".join(args))
            with open(self.fallback_out + ".key") as f:
                self.assertEqual(f.read().strip(), "", args)


if __name__ == "__main__":
    unittest.main()
