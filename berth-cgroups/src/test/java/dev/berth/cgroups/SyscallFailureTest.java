package dev.berth.cgroups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.cgroups.fs.CgroupDir;
import dev.berth.cgroups.fs.Journal;
import dev.berth.cgroups.v1.V1OomNotifier;
import dev.berth.cgroups.v2.V2Devices;
import dev.berth.sys.Errno;
import dev.berth.sys.Linux;
import dev.berth.sys.RecordingSyscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the cgroup code leaves behind when a kernel call fails, with berth-sys's recording double
 * instead of the kernel (no root, no cgroup2, no bpf needed): descriptors closed, the old device
 * rules still in force.
 */
class SyscallFailureTest {
    @TempDir Path tmp;

    static final Resources DEVICES = Resources.empty().withDevices(List.of(Resources.DeviceRule.denyAll(),
            Resources.DeviceRule.allowChar(1, 3, "rwm")));

    CgroupDir dir() throws Exception {
        return new CgroupDir(tmp, Files.createDirectories(tmp.resolve("c1")));
    }

    @Test void aRefusedAttachKeepsTheOldProgramAndClosesEveryDescriptor() throws Exception {
        CgroupDir d = dir();
        String path = d.dir().toString();
        RecordingSyscalls sys = new RecordingSyscalls().fsType(path, Linux.CGROUP2_SUPER_MAGIC).attached(path, 7)
                .failOn("bpfAttachDevice", Errno.EPERM);
        assertThatThrownBy(() -> new V2Devices(sys).apply(d, DEVICES, new Journal()))
                .isInstanceOf(CgroupException.class).hasMessageContaining("bpf").hasMessageContaining("Operation not permitted");
        assertThat(sys.attachedPrograms(path)).containsExactly(7);
        assertThat(sys.openFds()).isEmpty();
        assertThat(sys.names()).doesNotContain("bpfDetachDevice");
    }

    @Test void theNewProgramReplacesTheOldOnesWithNoGap() throws Exception {
        CgroupDir d = dir();
        String path = d.dir().toString();
        RecordingSyscalls sys = new RecordingSyscalls().fsType(path, Linux.CGROUP2_SUPER_MAGIC).attached(path, 7);
        new V2Devices(sys).apply(d, DEVICES, new Journal());
        assertThat(sys.attachedPrograms(path)).containsExactly(8);
        assertThat(sys.openFds()).isEmpty();
        // attached before the old one is detached: never a moment without a filter
        List<String> n = sys.names();
        assertThat(n.indexOf("bpfAttachDevice")).isLessThan(n.indexOf("bpfDetachDevice"));
    }

    @Test void aFailedDetachOfTheOldProgramTakesTheNewOneOffAgain() throws Exception {
        CgroupDir d = dir();
        String path = d.dir().toString();
        RecordingSyscalls sys = new RecordingSyscalls().fsType(path, Linux.CGROUP2_SUPER_MAGIC).attached(path, 7)
                .failOnce("bpfDetachDevice", Errno.EBUSY);
        assertThatThrownBy(() -> new V2Devices(sys).apply(d, DEVICES, new Journal())).isInstanceOf(CgroupException.class);
        assertThat(sys.attachedPrograms(path)).containsExactly(7);   // the old rules stay in force
        assertThat(sys.openFds()).isEmpty();
    }

    @Test void notCgroup2MeansNothingIsAttached() throws Exception {
        CgroupDir d = dir();
        RecordingSyscalls sys = new RecordingSyscalls();
        new V2Devices(sys).apply(d, DEVICES, new Journal());
        assertThat(sys.names()).containsExactly("statfsType");
    }

    @Test void anOomNotifierThatCannotOpenItsFileClosesTheEventfd() throws Exception {
        CgroupDir d = dir();
        RecordingSyscalls sys = new RecordingSyscalls().failOn("open", Errno.EACCES);
        assertThatThrownBy(() -> new V1OomNotifier(sys, d, () -> {})).isInstanceOf(CgroupException.class)
                .hasMessageContaining("memory.oom_control");
        assertThat(sys.names()).containsExactly("eventfd", "open", "close");
        assertThat(sys.openFds()).isEmpty();
    }

    @Test void anOomNotifierTheKernelRefusesClosesBothDescriptors() throws Exception {
        CgroupDir d = dir();   // no cgroup.event_control here: the registration write fails
        RecordingSyscalls sys = new RecordingSyscalls();
        assertThatThrownBy(() -> new V1OomNotifier(sys, d, () -> {})).isInstanceOf(CgroupException.class)
                .hasMessageContaining("cgroup.event_control");
        assertThat(sys.openFds()).isEmpty();
    }

    @Test void anOomNotifierReportsEachEventAndClosesOnClose() throws Exception {
        CgroupDir d = dir();
        Files.writeString(d.file("cgroup.event_control"), "");
        RecordingSyscalls sys = new RecordingSyscalls();
        java.util.concurrent.CountDownLatch oom = new java.util.concurrent.CountDownLatch(2);
        V1OomNotifier n = new V1OomNotifier(sys, d, oom::countDown);
        assertThat(Files.readString(d.file("cgroup.event_control"))).matches("\\d+ \\d+");
        int efd = sys.calls().stream().filter(c -> c.name().equals("eventfd")).count() == 1
                ? sys.openFds().entrySet().stream().filter(e -> e.getValue().equals("eventfd")).findFirst().orElseThrow().getKey() : -1;
        sys.eventfdWrite(efd, 2);   // the kernel signals two OOMs
        assertThat(oom.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        n.close();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!sys.openFds().isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(sys.openFds()).isEmpty();
    }
}
