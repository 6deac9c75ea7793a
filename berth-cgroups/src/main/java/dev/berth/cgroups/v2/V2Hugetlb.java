package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.Stats;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** v2 hugetlb.&lt;size&gt;.max; stats from .current and .events (max). */
public final class V2Hugetlb implements Controller {
    @Override public String name() { return "hugetlb"; }

    @Override
    public void validate(CgroupDir d, Resources r) {
        if (r.hugepageLimits() == null) return;
        for (var h : r.hugepageLimits())
            if (!d.has("hugetlb." + h.pageSize() + ".max"))
                throw CgroupException.badValue("hugepageLimits.pageSize", h.pageSize(), "no such huge page size in " + d.dir());
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.hugepageLimits() == null) return;
        for (var h : r.hugepageLimits()) j.write(d.file("hugetlb." + h.pageSize() + ".max"), Long.toString(h.limit()));
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        try (Stream<Path> s = Files.list(d.dir())) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hugetlb.") && n.endsWith(".current") && !n.contains(".rsvd."))
                    .forEach(n -> {
                        String size = n.substring(8, n.length() - ".current".length());
                        b.hugetlb.put(size, new Stats.Hugetlb(CgroupFiles.readLong(d.file(n)), 0,
                                CgroupFiles.readKeyValues(d.file("hugetlb." + size + ".events")).getOrDefault("max", 0L)));
                    });
        } catch (IOException e) {
            throw CgroupException.io("list", d.dir(), e);
        }
    }
}
