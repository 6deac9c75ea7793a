package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;
import dev.berth.sys.Linux;
import dev.berth.sys.SyscallException;
import dev.berth.sys.Syscalls;


/**
 * v2 device rules: the rules compiled by {@link DeviceFilter} into a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, attached to the cgroup directory (BPF_F_ALLOW_MULTI), then the programs attached
 * before it detached (so there is never a moment with no filter). Runs last in the v2 controller
 * list, so nothing after it can fail and need it undone; if detaching the old ones fails, the new
 * one is detached again and the old rules stay in force. On a directory that is not cgroup2 (the
 * fake tree of the tests) nothing is attached.
 */
public final class V2Devices implements Controller {
    private final Syscalls sys;

    public V2Devices() { this(Syscalls.linux()); }

    public V2Devices(Syscalls sys) { this.sys = sys; }

    @Override public String name() { return "devices"; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.devices() == null) return;
        try {
            if (sys.statfsType(d.dir().toString()) != Linux.CGROUP2_SUPER_MAGIC) return;
        } catch (SyscallException e) {
            throw CgroupException.io("statfs", d.dir(), e);
        }
        if (!sys.bpfSupported()) throw CgroupException.badValue("devices", r.devices().size() + " rules", "no bpf(2) on " + System.getProperty("os.arch"));
        byte[] prog = DeviceFilter.compile(r.devices());
        int dir = sys.open(d.dir().toString(), Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_CLOEXEC, 0);
        try {
            int[] old = sys.bpfQueryDevices(dir);
            int fd = sys.bpfLoadDeviceProgram(prog);
            int[] now;
            try {
                sys.bpfAttachDevice(dir, fd);
            } finally {
                sys.close(fd); // the attachment holds the program
            }
            now = sys.bpfQueryDevices(dir);
            try {
                for (int id : old) sys.bpfDetachDevice(dir, id);
            } catch (RuntimeException e) {
                for (int id : now) if (!contains(old, id)) sys.bpfDetachDevice(dir, id);
                throw e;
            }
        } catch (SyscallException e) {
            throw new CgroupException("devices: " + e.getMessage() + " (" + d.dir() + ")", "devices",
                    r.devices().size() + " rules", d.dir(), e);
        } finally {
            sys.close(dir);
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
