package dev.berth.network.firewall;

import dev.berth.network.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * One published port as the packet rules see it: traffic for {@code hostIp:hostPort/proto} (a host
 * address, or any host address when {@code hostIp} is 0.0.0.0 or ::) goes to
 * {@code containerIp:containerPort}. Host and container address are of one family.
 */
public record PortMapping(Protocol proto, InetAddress hostIp, int hostPort, InetAddress containerIp, int containerPort) {

    public PortMapping {
        if (proto == null || hostIp == null || containerIp == null) {
            throw new IllegalArgumentException("port mapping: proto, hostIp and containerIp are required");
        }
        checkPort(hostPort, "host port");
        checkPort(containerPort, "container port");
        if ((hostIp instanceof Inet6Address) != (containerIp instanceof Inet6Address)) {
            throw new IllegalArgumentException("port mapping " + hostIp.getHostAddress() + ":" + hostPort
                    + " -> " + containerIp.getHostAddress() + ":" + containerPort + ": host and container address of different families");
        }
    }

    private static void checkPort(int p, String what) {
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("invalid " + what + ": " + p);
        }
    }

    public boolean ipv6() {
        return hostIp instanceof Inet6Address;
    }

    /** Whether the mapping takes every host address (0.0.0.0 or ::). */
    public boolean anyHost() {
        return hostIp.isAnyLocalAddress();
    }

    /** "0.0.0.0" / "::" / "127.0.0.1", as Docker prints HostIp. */
    public String hostIpText() {
        return new Cidr(hostIp, hostIp.getAddress().length * 8).addressText();
    }

    /** "80/tcp", the key of NetworkSettings.Ports. */
    public String containerKey() {
        return containerPort + "/" + proto.text();
    }

    /** Whether the two would take the same packets (same protocol and port, and an address in common). */
    public boolean clashes(PortMapping o) {
        return proto == o.proto && hostPort == o.hostPort && ipv6() == o.ipv6()
                && (anyHost() || o.anyHost() || hostIp.equals(o.hostIp));
    }

    @Override
    public String toString() {
        String h = ipv6() ? "[" + hostIpText() + "]" : hostIpText();
        String c = containerIp instanceof Inet6Address ? "[" + new Cidr(containerIp, 128).addressText() + "]"
                : containerIp.getHostAddress();
        return h + ":" + hostPort + " -> " + c + ":" + containerPort + "/" + proto.text();
    }
}
