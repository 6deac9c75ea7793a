package dev.berth.cgroups.v2;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.Map;

/** v2 cpu: cpu.weight (from shares, runc's formula), cpu.max "quota period", cpu.max.burst, cpu.idle; cpu.stat. */
public final class V2Cpu implements Controller {
    @Override public String name() { return "cpu"; }

    /** runc: 2..262144 shares -> 1..10000 weight. */
    public static long sharesToWeight(long shares) {
        return shares == 0 ? 0 : 1 + ((shares - 2) * 9999) / 262142;
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var c = r.cpu();
        if (c == null) return;
        if (c.shares() != null) j.write(d.file("cpu.weight"), Long.toString(sharesToWeight(c.shares())));
        if (c.quota() != null || c.period() != null) {
            String[] cur = CgroupFiles.read(d.file("cpu.max")).split(" ");
            String quota = c.quota() == null ? cur[0] : c.quota() < 0 ? "max" : Long.toString(c.quota());
            String period = c.period() == null ? (cur.length > 1 ? cur[1] : "100000") : Long.toString(c.period());
            j.write(d.file("cpu.max"), quota + " " + period);
        }
        if (c.burst() != null && d.has("cpu.max.burst")) j.write(d.file("cpu.max.burst"), Long.toString(c.burst()));
        if (c.idle() != null && d.has("cpu.idle")) j.write(d.file("cpu.idle"), Long.toString(c.idle()));
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        Map<String, Long> st = CgroupFiles.readKeyValues(d.file("cpu.stat"));
        b.cpuTotal = st.getOrDefault("usage_usec", 0L) * 1000;
        b.cpuUser = st.getOrDefault("user_usec", 0L) * 1000;
        b.cpuKernel = st.getOrDefault("system_usec", 0L) * 1000;
        b.periods = st.getOrDefault("nr_periods", 0L);
        b.throttledPeriods = st.getOrDefault("nr_throttled", 0L);
        b.throttledTime = st.getOrDefault("throttled_usec", 0L) * 1000;
    }
}
