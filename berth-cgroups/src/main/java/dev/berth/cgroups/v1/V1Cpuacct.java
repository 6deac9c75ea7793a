package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** v1 cpuacct: accounting only (usage total, per cpu, user/system). */
public final class V1Cpuacct implements Controller {
    private static final long NS_PER_TICK = 1_000_000_000L / 100; // USER_HZ

    @Override public String name() { return "cpuacct"; }

    @Override public void apply(CgroupDir d, Resources r, Journal j) {}

    private static List<Long> longs(String s) {
        List<Long> l = new ArrayList<>();
        if (s != null && !s.isBlank()) for (String x : s.trim().split("\\s+")) l.add(Long.parseLong(x));
        return l;
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        b.cpuTotal = CgroupFiles.readLong(d.file("cpuacct.usage"));
        b.percpu = longs(CgroupFiles.readOrNull(d.file("cpuacct.usage_percpu")));
        b.percpuKernel = longs(CgroupFiles.readOrNull(d.file("cpuacct.usage_percpu_sys")));
        b.percpuUser = longs(CgroupFiles.readOrNull(d.file("cpuacct.usage_percpu_user")));
        if (d.has("cpuacct.usage_user")) {
            b.cpuUser = CgroupFiles.readLong(d.file("cpuacct.usage_user"));
            b.cpuKernel = CgroupFiles.readLong(d.file("cpuacct.usage_sys"));
        } else {
            Map<String, Long> st = CgroupFiles.readKeyValues(d.file("cpuacct.stat"));
            b.cpuUser = st.getOrDefault("user", 0L) * NS_PER_TICK;
            b.cpuKernel = st.getOrDefault("system", 0L) * NS_PER_TICK;
        }
    }
}
