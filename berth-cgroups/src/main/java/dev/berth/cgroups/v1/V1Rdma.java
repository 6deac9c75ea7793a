package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

/** rdma.max (same format on v1 and v2): "mlx5_0 hca_handle=2 hca_object=2000". */
public final class V1Rdma implements Controller {
    @Override public String name() { return "rdma"; }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.rdma() == null) return;
        String before = CgroupFiles.readOrNull(d.file("rdma.max"));
        r.rdma().forEach((dev, v) -> {
            StringBuilder sb = new StringBuilder(dev);
            if (v.hcaHandles() != null) sb.append(" hca_handle=").append(v.hcaHandles());
            if (v.hcaObjects() != null) sb.append(" hca_object=").append(v.hcaObjects());
            String old = dev + " hca_handle=max hca_object=max";
            if (before != null) for (String line : before.split("\n")) if (line.startsWith(dev + " ")) old = line;
            j.writeRestoring(d.file("rdma.max"), sb.toString(), old);
        });
    }
}
