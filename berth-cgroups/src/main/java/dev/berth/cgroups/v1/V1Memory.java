package dev.berth.cgroups.v1;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.Map;

/** v1 memory: limit_in_bytes, memsw (memory+swap), soft limit, kmem.tcp, swappiness, oom_control. */
public final class V1Memory implements Controller {
    static final String LIMIT = "memory.limit_in_bytes", MEMSW = "memory.memsw.limit_in_bytes",
            SOFT = "memory.soft_limit_in_bytes", TCP = "memory.kmem.tcp.limit_in_bytes",
            SWAPPINESS = "memory.swappiness", OOM = "memory.oom_control", HIER = "memory.use_hierarchy";

    @Override public String name() { return "memory"; }

    @Override
    public void validate(CgroupDir d, Resources r) {
        var m = r.memory();
        if (m == null) return;
        if (m.limit() != null && m.limit() > 0 && d.has("memory.usage_in_bytes")) {
            long usage = CgroupFiles.readLong(d.file("memory.usage_in_bytes"));
            if (m.limit() < usage) {
                // checkBeforeUpdate (OCI): refuse below usage. Otherwise refuse only below the working
                // set: page cache above the new limit is reclaimed by the kernel.
                if (Boolean.TRUE.equals(m.checkBeforeUpdate()))
                    throw CgroupException.badValue(LIMIT, m.limit(), "below current usage " + usage + " bytes (checkBeforeUpdate)");
                long ws = workingSet(d); // memory.stat only when it matters
                if (m.limit() < ws)
                    throw CgroupException.badValue(LIMIT, m.limit(), "below current usage " + ws + " bytes (working set)");
            }
        }
        if (m.limit() != null && m.limit() > 0 && m.swap() == null && d.has(MEMSW)) {
            long memsw = CgroupFiles.readLong(d.file(MEMSW));
            if (memsw != Long.MAX_VALUE && m.limit() > memsw)
                throw CgroupException.badValue(LIMIT, m.limit(), "above the memory+swap limit in force " + memsw + " (set memory.swap as well)");
        }
        if (m.swap() != null && m.swap() > 0 && m.limit() == null && d.has(LIMIT)) {
            long cur = CgroupFiles.readLong(d.file(LIMIT));
            if (m.swap() < cur) throw CgroupException.badValue(MEMSW, m.swap(), "below the memory limit in force " + cur);
        }
    }

    /** A new cgroup has no usage and unlimited memory and memsw: only a swap without a limit can be refused. */
    @Override
    public void validateNew(CgroupDir d, Resources r) {
        var m = r.memory();
        if (m != null && m.swap() != null && m.swap() > 0 && m.limit() == null) validate(d, r);
    }

    static long workingSet(CgroupDir d) {
        long usage = CgroupFiles.readLong(d.file("memory.usage_in_bytes"));
        Map<String, Long> st = CgroupFiles.readKeyValues(d.file("memory.stat"));
        long inactive = st.getOrDefault("total_inactive_file", st.getOrDefault("inactive_file", 0L));
        return Math.max(0, usage - inactive);
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var m = r.memory();
        if (m == null) return;
        Long limit = m.limit(), swap = m.swap();
        boolean swapOk = d.has(MEMSW);
        if (limit != null && swap != null && swapOk) {
            // a new cgroup (journal not recording) starts unlimited: no read needed
            long curLimit = j.recording() ? CgroupFiles.readLong(d.file(LIMIT)) : Long.MAX_VALUE;
            // The kernel wants memory <= memsw at every step: raise memsw first when growing.
            if (swap == -1 || curLimit < swap) {
                j.write(d.file(MEMSW), Long.toString(swap));
                writeLimit(d, j, limit);
            } else {
                writeLimit(d, j, limit);
                j.write(d.file(MEMSW), Long.toString(swap));
            }
        } else if (limit != null) {
            writeLimit(d, j, limit);
        } else if (swap != null && swapOk) {
            j.write(d.file(MEMSW), Long.toString(swap));
        }
        if (m.reservation() != null) j.write(d.file(SOFT), Long.toString(m.reservation()));
        if (m.kernelTCP() != null && d.has(TCP)) j.write(d.file(TCP), Long.toString(m.kernelTCP()));
        // m.kernel(): kmem.limit_in_bytes is gone from the kernel since 6.1 (writes fail); ignored as runc does.
        if (m.swappiness() != null && d.has(SWAPPINESS)) j.write(d.file(SWAPPINESS), Long.toString(m.swappiness()));
        if (m.disableOOMKiller() != null) {
            String want = m.disableOOMKiller() ? "1" : "0";
            String old = CgroupFiles.readKeyValues(d.file(OOM)).getOrDefault("oom_kill_disable", 0L).toString();
            if (!old.equals(want)) j.writeRestoring(d.file(OOM), want, old);
        }
        if (m.useHierarchy() != null && d.has(HIER)) j.write(d.file(HIER), m.useHierarchy() ? "1" : "0");
    }

    private static void writeLimit(CgroupDir d, Journal j, long limit) {
        try {
            j.write(d.file(LIMIT), Long.toString(limit));
        } catch (CgroupException e) {
            if (!e.getMessage().contains("busy")) throw e;
            long usage = CgroupFiles.readLong(d.file("memory.usage_in_bytes"));
            throw new CgroupException(e.getMessage() + "; current usage " + usage + " bytes could not be reclaimed below it",
                    LIMIT, Long.toString(limit), e.path(), e.getCause());
        }
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        b.usage = entry(d, "memory");
        b.swap = entry(d, "memory.memsw");
        b.kernel = entry(d, "memory.kmem");
        b.kernelTCP = entry(d, "memory.kmem.tcp");
        Map<String, Long> raw = CgroupFiles.readKeyValues(d.file("memory.stat"));
        b.raw.putAll(raw);
        b.cache = raw.getOrDefault("total_cache", raw.getOrDefault("cache", 0L));
        b.workingSet = Math.max(0, b.usage.usage() - raw.getOrDefault("total_inactive_file", raw.getOrDefault("inactive_file", 0L)));
        Map<String, Long> oom = CgroupFiles.readKeyValues(d.file(OOM));
        b.oomKill = oom.getOrDefault("oom_kill", 0L);
        b.oom = b.oomKill; // v1 counts kills only
        b.underOom = oom.getOrDefault("under_oom", 0L) != 0;
    }

    private static Stats.MemoryEntry entry(CgroupDir d, String prefix) {
        if (!d.has(prefix + ".usage_in_bytes")) return new Stats.MemoryEntry(0, 0, 0, 0);
        return new Stats.MemoryEntry(
                CgroupFiles.readLong(d.file(prefix + ".limit_in_bytes")),
                CgroupFiles.readLong(d.file(prefix + ".usage_in_bytes")),
                CgroupFiles.readLong(d.file(prefix + ".max_usage_in_bytes")),
                CgroupFiles.readLong(d.file(prefix + ".failcnt")));
    }
}
