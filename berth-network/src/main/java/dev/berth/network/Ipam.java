package dev.berth.network;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The addresses of one subnet of one network: the gateway is reserved, the network and (IPv4)
 * broadcast addresses are never handed out, every allocation is persisted ({@link NetworkStore})
 * before it is returned, so an address is never given twice, even across a crash. Dynamic
 * addresses come from the range (the subnet without one): the lowest free one, as dockerd's
 * default allocator, so an address freed by a removed container is the next one handed out; it
 * depends on the persisted allocations only, and so is the same after a restart. A requested one
 * must lie in the subnet.
 */
public final class Ipam {
  private final NetworkStore store;
  private final String networkId;
  private final String networkName;
  private final Cidr subnet, range;
  private final InetAddress gateway;
  private final Map<String, String> allocated; // address text → owner

  public Ipam(NetworkStore store, String networkId, String networkName, Cidr subnet, Cidr range, InetAddress gateway) {
    this.store = store;
    this.networkId = networkId;
    this.networkName = networkName;
    this.subnet = subnet.network();
    this.range = range == null ? this.subnet : range.network();
    this.gateway = gateway;
    this.allocated = new HashMap<>(store.allocations(networkId + suffix()));
  }

  private String suffix() { return subnet.isIpv6() ? "-v6" : ""; }

  public Cidr subnet() { return subnet; }

  public InetAddress gateway() { return gateway; }

  /** An address for {@code owner}: {@code requested} if given (it must be free), else the next free one. */
  public synchronized InetAddress allocate(String owner, InetAddress requested) {
    InetAddress a;
    if (requested != null) {
      if (!subnet.contains(requested) || reserved(requested)) {
        throw new IpamException("no configured subnet or ip-range contain the IP address " + requested.getHostAddress()
            + " (network " + networkName + ": " + subnet + ")");
      }
      String other = allocated.get(requested.getHostAddress());
      if (other != null && !other.equals(owner)) throw new IpamException("Address already in use: " + requested.getHostAddress() + " on network " + networkName);
      a = requested;
    } else {
      a = next();
    }
    allocated.put(a.getHostAddress(), owner);
    persist();
    return a;
  }

  private boolean reserved(InetAddress a) {
    if (a.equals(gateway)) return true;
    BigInteger i = subnet.indexOf(a);
    if (i.signum() == 0) return true;
    return subnet.isIpv4() && subnet.prefix() < 31 && i.equals(subnet.size().subtract(BigInteger.ONE));
  }

  /** The lowest free address of the range (at most 2^20 looked at: an IPv6 range is never full). */
  private InetAddress next() {
    BigInteger limit = range.size().min(BigInteger.valueOf(1 << 20));
    for (BigInteger i = BigInteger.ZERO; i.compareTo(limit) < 0; i = i.add(BigInteger.ONE)) {
      InetAddress a = range.nth(i);
      if (!subnet.contains(a) || reserved(a) || allocated.containsKey(a.getHostAddress())) continue;
      return a;
    }
    throw new IpamException("no available IPv" + (subnet.isIpv4() ? "4" : "6") + " addresses on this network's address pools: "
        + networkName + " (" + networkId + ")");
  }

  public synchronized void release(InetAddress a) {
    if (allocated.remove(a.getHostAddress()) != null) persist();
  }

  public synchronized void releaseOwner(String owner) {
    if (allocated.values().removeIf(owner::equals)) persist();
  }

  public synchronized Map<String, String> allocations() { return Map.copyOf(allocated); }

  private void persist() { store.saveAllocations(networkId + suffix(), allocated); }
}
