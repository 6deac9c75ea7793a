package dev.berth.cgroups.v2;

import dev.berth.cgroups.CgroupException;
import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

import java.util.TreeMap;

/** {@code linux.resources.unified}: each key is a file in the cgroup directory, written as given. */
public final class V2Unified implements Controller {
    @Override public String name() { return "unified"; }

    @Override
    public void validate(CgroupDir d, Resources r) {
        if (r.unified() == null) return;
        for (String k : r.unified().keySet())
            if (!d.has(k)) throw CgroupException.badValue("unified", k, "no such file in " + d.dir() + " (controller not enabled?)");
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.unified() == null) return;
        new TreeMap<>(r.unified()).forEach((k, v) -> j.write(d.file(k), v));
    }
}
