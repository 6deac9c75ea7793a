package dev.berth.network.firewall;

/**
 * A host port that cannot be had, worded as dockerd words it
 * ("Bind for 0.0.0.0:8080 failed: port is already allocated"); the API answers it with 500 as
 * Docker does ("driver failed programming external connectivity on endpoint …: " + message).
 */
public final class PortAllocationException extends RuntimeException {
    public PortAllocationException(String message) {
        super(message);
    }

    static PortAllocationException allocated(PortMapping m) {
        return allocated(m.hostIpText(), m.ipv6(), m.hostPort());
    }

    static PortAllocationException allocated(String hostIp, boolean v6, int port) {
        String h = v6 ? "[" + hostIp + "]" : hostIp;
        return new PortAllocationException("Bind for " + h + ":" + port + " failed: port is already allocated");
    }
}
