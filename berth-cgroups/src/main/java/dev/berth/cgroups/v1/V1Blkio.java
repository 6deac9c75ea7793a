package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** v1 blkio: weight (CFQ or BFQ files), per-device weight and throttles; io_service_bytes/serviced stats. */
public final class V1Blkio implements Controller {
    @Override public String name() { return "blkio"; }

    private static String weightFile(CgroupDir d, String base) {
        if (d.has("blkio." + base)) return "blkio." + base;
        if (d.has("blkio.bfq." + base)) return "blkio.bfq." + base;
        return null;
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var b = r.blockIO();
        if (b == null) return;
        write(d, j, weightFile(d, "weight"), b.weight());
        write(d, j, weightFile(d, "leaf_weight"), b.leafWeight());
        if (b.weightDevice() != null) for (var w : b.weightDevice()) {
            String wf = weightFile(d, "weight_device"), lf = weightFile(d, "leaf_weight_device");
            if (w.weight() != null && wf != null) deviceLine(d.file(wf), j, w.major() + ":" + w.minor(), w.weight(), "0");
            if (w.leafWeight() != null && lf != null) deviceLine(d.file(lf), j, w.major() + ":" + w.minor(), w.leafWeight(), "0");
        }
        throttle(d, j, "blkio.throttle.read_bps_device", b.throttleReadBpsDevice());
        throttle(d, j, "blkio.throttle.write_bps_device", b.throttleWriteBpsDevice());
        throttle(d, j, "blkio.throttle.read_iops_device", b.throttleReadIOPSDevice());
        throttle(d, j, "blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice());
    }

    private static void write(CgroupDir d, Journal j, String file, Integer v) {
        if (v == null || v == 0) return;
        if (file == null) throw dev.berth.cgroups.CgroupException.badValue("blockIO.weight", v,
                "no blkio weight file in " + d.dir() + " (needs the BFQ or CFQ scheduler)");
        j.write(d.file(file), Integer.toString(v));
    }

    private static void throttle(CgroupDir d, Journal j, String file, List<Resources.ThrottleDevice> list) {
        if (list == null) return;
        for (var t : list) deviceLine(d.file(file), j, t.major() + ":" + t.minor(), t.rate(), "0");
    }

    /** Per-device files list "maj:min value" lines; restore the old line, or the "unset" value. */
    private static void deviceLine(Path file, Journal j, String dev, long value, String unset) {
        String old = unset;
        String content = CgroupFiles.readOrNull(file);
        if (content != null) for (String line : content.split("\n"))
            if (line.startsWith(dev + " ")) old = line.substring(dev.length() + 1).trim();
        j.writeRestoring(file, dev + " " + value, dev + " " + old);
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        String bytes = d.has("blkio.io_service_bytes_recursive") ? "blkio.io_service_bytes_recursive" : "blkio.throttle.io_service_bytes_recursive";
        String ios = d.has("blkio.io_serviced_recursive") ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive";
        b.serviceBytes.addAll(entries(d.file(bytes)));
        b.serviced.addAll(entries(d.file(ios)));
    }

    static List<Stats.BlkioEntry> entries(Path file) {
        String s = CgroupFiles.readOrNull(file);
        List<Stats.BlkioEntry> out = new java.util.ArrayList<>();
        if (s == null) return out;
        for (String line : s.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 3 || !f[0].contains(":")) continue; // "Total N"
            String[] mm = f[0].split(":");
            out.add(new Stats.BlkioEntry(Long.parseLong(mm[0]), Long.parseLong(mm[1]), f[1], Long.parseLong(f[2])));
        }
        return out;
    }
}
