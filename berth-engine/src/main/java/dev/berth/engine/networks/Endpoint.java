package dev.berth.engine.networks;

import java.util.List;

/**
 * A container's live attachment to one network: what the firewall and the embedded DNS need.
 * {@code ipv4}/{@code ipv6} are {@code address/prefix} ("" when none), {@code netns} the pinned
 * namespace file of the container, {@code hostVeth} the host side of its veth pair.
 */
public record Endpoint(String networkId, String endpointId, String containerId, String containerName, String hostVeth,
    String ifname, String ipv4, String ipv6, String gateway, String gateway6, String mac, List<String> aliases,
    List<String> dnsNames, String netns) {
  public Endpoint {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
    dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
  }

  /** The IPv4 address without its prefix ("" when none). */
  public String ipv4Address() { return ipv4 == null || ipv4.isEmpty() ? "" : ipv4.substring(0, ipv4.indexOf('/')); }

  public int ipv4Prefix() { return ipv4 == null || ipv4.isEmpty() ? 0 : Integer.parseInt(ipv4.substring(ipv4.indexOf('/') + 1)); }

  public String ipv6Address() { return ipv6 == null || ipv6.isEmpty() ? "" : ipv6.substring(0, ipv6.indexOf('/')); }

  public int ipv6Prefix() { return ipv6 == null || ipv6.isEmpty() ? 0 : Integer.parseInt(ipv6.substring(ipv6.indexOf('/') + 1)); }
}
