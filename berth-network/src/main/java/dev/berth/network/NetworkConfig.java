package dev.berth.network;

import java.util.List;
import java.util.Map;

/**
 * One network in Docker's model, as stored (JSON, {@link NetworkStore}) and as the engine answers
 * inspect from: id (64 hex), name, driver ({@code bridge}, or {@code host}/{@code null} for the
 * predefined ones), the Linux bridge's name, IPAM pools, flags, labels and driver options
 * ({@code com.docker.network.bridge.name} and the like, as given).
 */
public record NetworkConfig(String id, String name, String driver, String created, String bridge, List<Pool> ipam,
    boolean enableIPv4, boolean enableIPv6, boolean internal, boolean attachable, Map<String, String> labels,
    Map<String, String> options, boolean predefined, int mtu) {

  /** One IPAM config: a subnet, its gateway (always set once created), an optional range to hand out from. */
  public record Pool(String subnet, String gateway, String ipRange) {
    public Cidr subnetCidr() { return Cidr.parse(subnet).network(); }

    public Cidr rangeCidr() { return ipRange == null || ipRange.isEmpty() ? subnetCidr() : Cidr.parse(ipRange).network(); }

    public java.net.InetAddress gatewayAddress() { return Cidr.parseAddress(gateway); }
  }

  public NetworkConfig {
    ipam = ipam == null ? List.of() : List.copyOf(ipam);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    options = options == null ? Map.of() : Map.copyOf(options);
  }

  /** Docker's bridge option naming the Linux bridge. */
  public static final String BRIDGE_NAME = "com.docker.network.bridge.name";
  public static final String MTU = "com.docker.network.driver.mtu";

  public boolean bridgeDriver() { return "bridge".equals(driver); }

  public String shortId() { return id.substring(0, 12); }

  /** The first IPv4 pool, if any. */
  public java.util.Optional<Pool> ipv4() {
    return ipam.stream().filter(p -> p.subnetCidr().isIpv4()).findFirst();
  }

  public java.util.Optional<Pool> ipv6() {
    return ipam.stream().filter(p -> p.subnetCidr().isIpv6()).findFirst();
  }
}
