package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.Bpf;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;
import dev.berth.cgroups.fs.Native;

import java.io.IOException;
import java.nio.file.Files;

/**
 * v2 device rules: the rules compiled by {@link DeviceFilter} into a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, attached to the cgroup directory (BPF_F_ALLOW_MULTI), then the programs attached
 * before it detached (so there is never a moment with no filter). Runs last in the v2 controller
 * list, so nothing after it can fail and need it undone; if detaching the old ones fails, the new
 * one is detached again and the old rules stay in force. On a directory that is not cgroup2 (the
 * fake tree of the tests) nothing is attached.
 */
public final class V2Devices implements Controller {
    @Override public String name() { return "devices"; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.devices() == null) return;
        try {
            if (!"cgroup2".equals(Files.getFileStore(d.dir()).type())) return;
        } catch (IOException e) {
            throw CgroupException.io("statfs", d.dir(), e);
        }
        if (!Bpf.supported()) throw CgroupException.badValue("devices", r.devices().size() + " rules", "no bpf(2) on " + System.getProperty("os.arch"));
        byte[] prog = DeviceFilter.compile(r.devices());
        int dir = Native.open(d.dir().toString(), Native.O_RDONLY | Native.O_CLOEXEC);
        try {
            int[] old = Bpf.queryDevice(dir);
            int fd = Bpf.loadDeviceProgram(prog);
            int[] now;
            try {
                Bpf.attachDevice(dir, fd);
            } finally {
                Native.close(fd); // the attachment holds the program
            }
            now = Bpf.queryDevice(dir);
            try {
                for (int id : old) Bpf.detachDevice(dir, id);
            } catch (RuntimeException e) {
                for (int id : now) if (!contains(old, id)) Bpf.detachDevice(dir, id);
                throw e;
            }
        } catch (Native.NativeException e) {
            throw new CgroupException("devices: " + e.getMessage() + " (" + d.dir() + ")", "devices",
                    r.devices().size() + " rules", d.dir(), e);
        } finally {
            Native.close(dir);
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
