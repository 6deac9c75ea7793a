package dev.berth.cgroups.v2;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.List;

/** v2 io: io.weight (or io.bfq.weight) from blkio weight, io.max per-device throttles; io.stat. */
public final class V2Io implements Controller {
    @Override public String name() { return "io"; }

    /** runc: blkio weight 10..1000 -> io.weight 1..10000. */
    public static long blkioToIoWeight(long w) {
        return w == 0 ? 0 : 1 + (w - 10) * 9999 / 990;
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var b = r.blockIO();
        if (b == null) return;
        if (b.weight() != null && b.weight() != 0) {
            if (d.has("io.bfq.weight")) j.write(d.file("io.bfq.weight"), Integer.toString(b.weight()));
            else j.write(d.file("io.weight"), "default " + blkioToIoWeight(b.weight()));
        }
        if (b.weightDevice() != null) for (var w : b.weightDevice())
            if (w.weight() != null) {
                String file = d.has("io.bfq.weight") ? "io.bfq.weight" : "io.weight";
                long v = file.equals("io.weight") ? blkioToIoWeight(w.weight()) : w.weight();
                j.writeRestoring(d.file(file), w.major() + ":" + w.minor() + " " + v, w.major() + ":" + w.minor() + " default");
            }
        max(d, j, "rbps", b.throttleReadBpsDevice());
        max(d, j, "wbps", b.throttleWriteBpsDevice());
        max(d, j, "riops", b.throttleReadIOPSDevice());
        max(d, j, "wiops", b.throttleWriteIOPSDevice());
    }

    private static void max(CgroupDir d, Journal j, String key, List<Resources.ThrottleDevice> list) {
        if (list == null) return;
        for (var t : list) {
            String dev = t.major() + ":" + t.minor();
            String old = "max";
            String content = CgroupFiles.readOrNull(d.file("io.max"));
            if (content != null) for (String line : content.split("\n"))
                if (line.startsWith(dev + " ")) for (String kv : line.split(" ")) if (kv.startsWith(key + "=")) old = kv.substring(key.length() + 1);
            j.writeRestoring(d.file("io.max"), dev + " " + key + "=" + (t.rate() == 0 ? "max" : t.rate()), dev + " " + key + "=" + old);
        }
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        String s = CgroupFiles.readOrNull(d.file("io.stat"));
        if (s == null) return;
        for (String line : s.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 2 || !f[0].contains(":")) continue;
            String[] mm = f[0].split(":");
            long major = Long.parseLong(mm[0]), minor = Long.parseLong(mm[1]);
            for (int i = 1; i < f.length; i++) {
                String[] kv = f[i].split("=");
                if (kv.length != 2) continue;
                long v = Long.parseLong(kv[1]);
                switch (kv[0]) {
                    case "rbytes" -> b.serviceBytes.add(new Stats.BlkioEntry(major, minor, "Read", v));
                    case "wbytes" -> b.serviceBytes.add(new Stats.BlkioEntry(major, minor, "Write", v));
                    case "rios" -> b.serviced.add(new Stats.BlkioEntry(major, minor, "Read", v));
                    case "wios" -> b.serviced.add(new Stats.BlkioEntry(major, minor, "Write", v));
                    default -> { }
                }
            }
        }
    }
}
