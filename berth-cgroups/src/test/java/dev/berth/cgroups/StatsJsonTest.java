package dev.berth.cgroups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Stats serialized by plain Jackson has the keys of runc's {@code events --stats} "data" object. */
class StatsJsonTest {
    @Test
    void runcShape() throws Exception {
        Stats.Builder b = new Stats.Builder();
        b.cpuTotal = 5;
        b.percpu = List.of(2L, 3L);
        b.percpuUser = List.of(1L, 1L);
        b.throttledPeriods = 1;
        b.usage = new Stats.MemoryEntry(100, 50, 60, 0);
        b.raw.put("rss", 10L);
        b.pidsCurrent = 3;
        b.serviceBytes.add(new Stats.BlkioEntry(8, 0, "Read", 4096));
        b.hugetlb.put("2MB", new Stats.Hugetlb(0, 0, 0));
        JsonNode j = new ObjectMapper().valueToTree(b.build());
        assertThat(j.at("/cpu/usage/total").asLong()).isEqualTo(5);
        assertThat(j.at("/cpu/usage/percpu/1").asLong()).isEqualTo(3);
        assertThat(j.at("/cpu/usage/percpu_user/0").asLong()).isEqualTo(1);
        assertThat(j.at("/cpu/throttling/throttledPeriods").asLong()).isEqualTo(1);
        assertThat(j.at("/memory/usage/limit").asLong()).isEqualTo(100);
        assertThat(j.at("/memory/raw/rss").asLong()).isEqualTo(10);
        assertThat(j.at("/memory/kernelTCP").isObject()).isTrue();
        assertThat(j.at("/pids/current").asLong()).isEqualTo(3);
        assertThat(j.at("/blkio/ioServiceBytesRecursive/0/op").asText()).isEqualTo("Read");
        assertThat(j.at("/hugetlb/2MB").isObject()).isTrue();
        assertThat(new ObjectMapper().convertValue(j.get("cpu"), Map.class)).containsKeys("usage", "throttling");
    }
}
