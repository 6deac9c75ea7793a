package dev.berth.cgroups.v1;

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

/** v1 hugetlb.&lt;size&gt;.limit_in_bytes. */
public final class V1Hugetlb implements Controller {
    @Override public String name() { return "hugetlb"; }

    @Override
    public void validate(CgroupDir d, Resources r) {
        if (r.hugepageLimits() == null) return;
        for (var h : r.hugepageLimits())
            if (!d.has("hugetlb." + h.pageSize() + ".limit_in_bytes") && !Files.exists(d.mount().resolve("hugetlb." + h.pageSize() + ".limit_in_bytes")))
                throw CgroupException.badValue("hugepageLimits.pageSize", h.pageSize(), "no such huge page size on this host");
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.hugepageLimits() == null) return;
        for (var h : r.hugepageLimits()) j.write(d.file("hugetlb." + h.pageSize() + ".limit_in_bytes"), Long.toString(h.limit()));
    }

    @Override
    public void stats(CgroupDir d, Stats.Builder b) {
        try (Stream<Path> s = Files.list(d.dir())) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hugetlb.") && n.endsWith(".usage_in_bytes"))
                    .forEach(n -> {
                        String size = n.substring(8, n.length() - ".usage_in_bytes".length());
                        String p = "hugetlb." + size;
                        b.hugetlb.put(size, new Stats.Hugetlb(CgroupFiles.readLong(d.file(p + ".usage_in_bytes")),
                                CgroupFiles.readLong(d.file(p + ".max_usage_in_bytes")), CgroupFiles.readLong(d.file(p + ".failcnt"))));
                    });
        } catch (IOException e) {
            throw CgroupException.io("list", d.dir(), e);
        }
    }
}
