package dev.berth.cgroups.v1;

import dev.berth.cgroups.Resources;
import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.CgroupFiles;
import dev.berth.cgroups.fs.Controller;
import dev.berth.cgroups.fs.Journal;

/** v1 devices: each rule written in order to devices.allow or devices.deny; undo restores devices.list. */
public final class V1Devices implements Controller {
    @Override public String name() { return "devices"; }

    public static String rule(Resources.DeviceRule r) {
        String type = r.type() == null ? "a" : r.type().equals("u") ? "c" : r.type();
        String access = r.access() == null || r.access().isEmpty() ? "rwm" : r.access();
        if (type.equals("a")) return "a *:* " + access;
        return type + " " + (r.major() == null || r.major() < 0 ? "*" : r.major()) + ":"
                + (r.minor() == null || r.minor() < 0 ? "*" : r.minor()) + " " + access;
    }

    @Override
    public void apply(CgroupDir d, Resources r, Journal j) {
        if (r.devices() == null) return;
        String before = CgroupFiles.readOrNull(d.file("devices.list"));
        j.onRollback(() -> {
            if (before == null) return;
            CgroupFiles.write(d.file("devices.deny"), "a");
            for (String line : before.split("\n")) if (!line.isBlank()) CgroupFiles.write(d.file("devices.allow"), line);
        });
        for (var rule : r.devices())
            j.writeRestoring(d.file(rule.allow() ? "devices.allow" : "devices.deny"), rule(rule), null);
    }
}
