package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.Map;

/** v1 cpu: shares, CFS quota/period/burst, RT runtime/period, idle; throttling stats. */
public final class V1Cpu implements Controller {
    @Override public String name() { return "cpu"; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var c = r.cpu();
        if (c == null) return;
        if (c.shares() != null) j.write(d.file("cpu.shares"), Long.toString(c.shares()));
        // period before quota (a quota is checked against the period in force), burst last.
        if (c.period() != null) j.write(d.file("cpu.cfs_period_us"), Long.toString(c.period()));
        if (c.quota() != null) j.write(d.file("cpu.cfs_quota_us"), Long.toString(c.quota()));
        if (c.burst() != null && d.has("cpu.cfs_burst_us")) j.write(d.file("cpu.cfs_burst_us"), Long.toString(c.burst()));
        if (c.realtimePeriod() != null && d.has("cpu.rt_period_us")) j.write(d.file("cpu.rt_period_us"), Long.toString(c.realtimePeriod()));
        if (c.realtimeRuntime() != null && d.has("cpu.rt_runtime_us")) j.write(d.file("cpu.rt_runtime_us"), Long.toString(c.realtimeRuntime()));
        if (c.idle() != null && d.has("cpu.idle")) j.write(d.file("cpu.idle"), Long.toString(c.idle()));
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        Map<String, Long> st = CgroupFiles.readKeyValues(d.file("cpu.stat"));
        b.periods = st.getOrDefault("nr_periods", 0L);
        b.throttledPeriods = st.getOrDefault("nr_throttled", 0L);
        b.throttledTime = st.getOrDefault("throttled_time", 0L);
    }
}
