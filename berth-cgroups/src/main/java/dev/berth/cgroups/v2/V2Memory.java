package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.Map;

/**
 * v2 memory: memory.max, memory.low (reservation), memory.swap.max (= OCI swap - limit: OCI swap
 * is memory+swap), stats from memory.current/peak/stat/events. swappiness and disableOOMKiller have
 * no v2 file and are ignored (as runc); memory.oom.group is left to the unified map.
 */
public final class V2Memory implements Controller {
    @Override public String name() { return "memory"; }

    static String max(long v) { return v < 0 ? "max" : Long.toString(v); }

    @Override
    public void validate(CgroupDir d, Resources r) {
        var m = r.memory();
        if (m == null || m.limit() == null || m.limit() <= 0 || !d.has("memory.current")) return;
        long usage = CgroupFiles.readLong(d.file("memory.current"));
        if (m.limit() >= usage) return;
        if (Boolean.TRUE.equals(m.checkBeforeUpdate()))
            throw CgroupException.badValue("memory.max", m.limit(), "below current usage " + usage + " bytes (checkBeforeUpdate)");
        long inactive = CgroupFiles.readKeyValues(d.file("memory.stat")).getOrDefault("inactive_file", 0L);
        long ws = Math.max(0, usage - inactive);
        if (m.limit() < ws) throw CgroupException.badValue("memory.max", m.limit(), "below current usage " + ws + " bytes (working set)");
    }

    /** A new cgroup has no usage: nothing to check. */
    @Override
    public void validateNew(CgroupDir d, Resources r) {}

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        var m = r.memory();
        if (m == null) return;
        if (m.swap() != null && d.has("memory.swap.max")) {
            long swap = m.swap();
            String v;
            if (swap == -1) v = "max";
            else {
                long limit = m.limit() != null ? m.limit() : CgroupFiles.readLong(d.file("memory.max"));
                if (limit == -1 || limit == Long.MAX_VALUE)
                    throw CgroupException.badValue("memory.swap", swap, "set while memory.limit is unlimited");
                v = Long.toString(swap - limit);
            }
            j.write(d.file("memory.swap.max"), v);
        }
        if (m.limit() != null) {
            try {
                j.write(d.file("memory.max"), max(m.limit()));
            } catch (CgroupException e) {
                throw new CgroupException(e.getMessage() + "; current usage " + CgroupFiles.readLong(d.file("memory.current")) + " bytes",
                        "memory.max", max(m.limit()), e.path(), e.getCause());
            }
        }
        if (m.reservation() != null) j.write(d.file("memory.low"), max(m.reservation()));
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        long usage = CgroupFiles.readLong(d.file("memory.current"));
        long limit = CgroupFiles.readLong(d.file("memory.max"));
        Map<String, Long> ev = CgroupFiles.readKeyValues(d.file("memory.events"));
        b.usage = new Stats.MemoryEntry(limit, usage, CgroupFiles.readLong(d.file("memory.peak")), ev.getOrDefault("max", 0L));
        if (d.has("memory.swap.current")) {
            long sw = CgroupFiles.readLong(d.file("memory.swap.current"));
            long swmax = CgroupFiles.readLong(d.file("memory.swap.max"));
            // runc reports swap as memory+swap, like v1 memsw
            b.swap = new Stats.MemoryEntry(swmax == Long.MAX_VALUE || limit == Long.MAX_VALUE ? Long.MAX_VALUE : swmax + limit,
                    sw + usage, CgroupFiles.readLong(d.file("memory.swap.peak")), 0);
        }
        Map<String, Long> raw = CgroupFiles.readKeyValues(d.file("memory.stat"));
        b.raw.putAll(raw);
        b.cache = raw.getOrDefault("file", 0L);
        b.workingSet = Math.max(0, usage - raw.getOrDefault("inactive_file", 0L));
        b.oom = ev.getOrDefault("oom", 0L);
        b.oomKill = ev.getOrDefault("oom_kill", 0L);
    }
}
