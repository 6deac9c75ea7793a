package dev.berth.api.daemon;

import dev.berth.api.system.SystemBackend;

final class ApiFacts {
    static final SystemBackend.HostFacts HOST = new SystemBackend.HostFacts("6.1.0-test", "Test OS", "1", "x86_64", 2, 1L << 30,
            "h", false, new SystemBackend.CgroupFacts("2", true, true, false, true, true, true, true, true, false));

    private ApiFacts() {}
}
