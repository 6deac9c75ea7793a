package dev.berth.network.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.network.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortSpecTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void cliForms() {
        assertThat(PortSpec.parse("80")).containsExactly(new PortSpec("", 0, 0, 80, Protocol.TCP));
        assertThat(PortSpec.parse("8080:80")).containsExactly(new PortSpec("", 8080, 8080, 80, Protocol.TCP));
        assertThat(PortSpec.parse("127.0.0.1:8080:80/udp")).containsExactly(new PortSpec("127.0.0.1", 8080, 8080, 80, Protocol.UDP));
        assertThat(PortSpec.parse("127.0.0.1::80")).containsExactly(new PortSpec("127.0.0.1", 0, 0, 80, Protocol.TCP));
        assertThat(PortSpec.parse("[::1]:8080:80")).containsExactly(new PortSpec("::1", 8080, 8080, 80, Protocol.TCP));
        assertThat(PortSpec.parse("8000-8001:80-81")).containsExactly(
                new PortSpec("", 8000, 8000, 80, Protocol.TCP), new PortSpec("", 8001, 8001, 81, Protocol.TCP));
        assertThat(PortSpec.parse("8000-8010:80")).containsExactly(new PortSpec("", 8000, 8010, 80, Protocol.TCP));
    }

    @Test
    void badSpecsAreNamed() {
        for (String bad : List.of("", "x", "0", "65536", "80/icmp", "1.2.3:80:80", "9-8:80", "8000-8002:80-81", "a:b:c:d", "[::1:80")) {
            assertThatThrownBy(() -> PortSpec.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid port specification: \"" + bad + "\"");
        }
    }

    @Test
    void apiShapesWithRangesRandomAndPublishAll() throws Exception {
        var bindings = M.readTree("""
                {"80/tcp":[{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":""}],
                 "53/udp":[{"HostIp":"","HostPort":"5300-5310"}],
                 "22":null}""");
        var exposed = M.readTree("{\"80/tcp\":{},\"443/tcp\":{},\"22/tcp\":{}}");
        assertThat(PortSpec.fromApi(bindings, exposed, true)).containsExactly(
                new PortSpec("", 8080, 8080, 80, Protocol.TCP),
                new PortSpec("127.0.0.1", 0, 0, 80, Protocol.TCP),
                new PortSpec("", 5300, 5310, 53, Protocol.UDP),
                new PortSpec("", 0, 0, 443, Protocol.TCP));
        assertThat(PortSpec.fromApi(bindings, exposed, false)).hasSize(3);
        assertThatThrownBy(() -> PortSpec.fromApi(M.readTree("{\"80/tcp\":[{\"HostPort\":\"http\"}]}"), null, false))
                .hasMessageStartingWith("invalid port specification: \"http:80/tcp\"");
        assertThatThrownBy(() -> PortSpec.fromApi(M.readTree("{\"80/tcp\":[{\"HostIp\":\"1.2.3.999\",\"HostPort\":\"1\"}]}"), null, false))
                .hasMessageContaining("1.2.3.999");
    }

    @Test
    void inspectShapeAsDocker() throws Exception {
        var exposed = M.readTree("{\"80/tcp\":{},\"443/tcp\":{}}");
        var m = List.of(
                new PortMapping(Protocol.TCP, Cidr.parseAddress("0.0.0.0"), 8080, Cidr.parseAddress("172.18.0.2"), 80),
                new PortMapping(Protocol.TCP, Cidr.parseAddress("::"), 8080, Cidr.parseAddress("fd00::2"), 80),
                new PortMapping(Protocol.UDP, Cidr.parseAddress("127.0.0.1"), 5353, Cidr.parseAddress("172.18.0.2"), 53));
        assertThat(PortsView.inspectPorts(m, exposed).toString()).isEqualTo(
                "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],"
                        + "\"443/tcp\":null,\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"}]}");
        assertThat(m.get(1).toString()).isEqualTo("[::]:8080 -> [fd00::2]:80/tcp");
    }
}
