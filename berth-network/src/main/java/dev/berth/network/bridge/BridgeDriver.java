package dev.berth.network.bridge;

import dev.berth.network.Cidr;
import dev.berth.sys.SyscallException;
import dev.berth.sys.net.Netlink;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Bridge networks on the kernel, through rtnetlink ({@link Netlink}; no {@code ip} process): a
 * Linux bridge per network, up, with each subnet's gateway address; a veth pair per endpoint, its
 * host side ({@code veth} + 7 hex, as dockerd names them) enslaved to the bridge and up, its other
 * side moved into the container's network namespace, renamed ({@code eth0}, …), given the MAC
 * dockerd derives from the IPv4 address ({@code 02:42:} + the address), the address, and the
 * default route via the gateway. A failure half-way deletes the pair (the host side takes the
 * other with it) and rethrows, so nothing is left.
 */
public final class BridgeDriver implements AutoCloseable {
  private final Netlink host;
  private final SecureRandom random = new SecureRandom();

  public BridgeDriver() {
    this.host = Netlink.open();
  }

  /** An endpoint made by {@link #attach}: the host-side veth and the container side's MAC. */
  public record Attached(String hostVeth, byte[] mac) {
    public String macText() { return Netlink.macText(mac); }
  }

  /**
   * The bridge {@code name} exists, is up and has every gateway address ({@code gw/prefix});
   * created if absent. {@code ip_forward} is turned on for an IPv4 network (as dockerd). True if it
   * was created here.
   */
  public synchronized boolean ensureBridge(String name, List<Cidr> gateways, int mtu, boolean forward) {
    boolean created = false;
    if (host.link(name).isEmpty()) {
      host.createBridge(name, mtu);
      created = true;
    }
    try {
      int index = host.index(name);
      for (Cidr g : gateways) {
        try {
          host.addAddress(index, g.address(), g.prefix());
        } catch (SyscallException e) {
          if (e.errno() != 17) throw e; // EEXIST: it has it
        }
      }
      host.setUp(index, true);
      if (forward && gateways.stream().anyMatch(Cidr::isIpv4)) sysctl("net/ipv4/ip_forward", "1");
      if (forward && gateways.stream().anyMatch(Cidr::isIpv6)) sysctl("net/ipv6/conf/all/forwarding", "1");
    } catch (RuntimeException e) {
      if (created) host.deleteLink(name);
      throw e;
    }
    return created;
  }

  public synchronized boolean bridgeExists(String name) {
    return host.link(name).isPresent();
  }

  /** Deletes the bridge (its ports are released, not deleted); absent is fine. */
  public synchronized void removeBridge(String name) {
    host.deleteLink(name);
  }

  /**
   * A veth pair between {@code bridge} and the namespace pinned at {@code netns}: the inner side
   * named {@code ifname} with {@code address} (and {@code address6}, may be null), and default
   * routes via the gateways when {@code defaultRoute}.
   */
  public Attached attach(String bridge, Path netns, String ifname, Cidr address, InetAddress gateway, Cidr address6,
      InetAddress gateway6, boolean defaultRoute, int mtu, boolean hairpin) {
    String hostVeth;
    byte[] mac = address != null ? Netlink.macFor(address.address()) : randomMac();
    // the pair is made in one message with its container end already in the namespace, named and
    // addressed at layer 2: a crash at any point leaves no end in the host's namespace but the one
    // on the bridge, and that one goes with the namespace
    synchronized (this) {
      String tag;
      do {
        tag = HexFormat.of().formatHex(random.generateSeed(4)).substring(0, 7);
      } while (host.link("veth" + tag).isPresent());
      hostVeth = "veth" + tag;
      host.createVethInto(hostVeth, host.index(bridge), ifname, netns, mac, mtu);
    }
    try {
      synchronized (this) {
        int hv = host.index(hostVeth);
        if (hairpin) host.setHairpin(hv, true);
        host.setUp(hv, true);
      }
      try (Netlink in = Netlink.openIn(netns)) {
        int i = in.index(ifname);
        if (address != null) in.addAddress(i, address.address(), address.prefix());
        if (address6 != null) in.addAddress(i, address6.address(), address6.prefix());
        in.setUp(i, true);
        if (defaultRoute && gateway != null && address != null) in.addDefaultRoute(gateway, i);
        if (defaultRoute && gateway6 != null && address6 != null) in.addDefaultRoute(gateway6, i);
      }
      return new Attached(hostVeth, mac);
    } catch (RuntimeException e) {
      try {
        synchronized (this) {
          host.deleteLink(hostVeth);
        }
      } catch (RuntimeException e2) {
        e.addSuppressed(e2);
      }
      throw e;
    }
  }

  /** Deletes the pair by its host side (gone already, e.g. with its namespace: fine). */
  public synchronized void detach(String hostVeth) {
    host.deleteLink(hostVeth);
  }

  private byte[] randomMac() {
    byte[] m = new byte[6];
    random.nextBytes(m);
    m[0] = (byte) ((m[0] & 0xfe) | 0x02);
    return m;
  }

  static void sysctl(String key, String value) {
    Path p = Path.of("/proc/sys", key);
    try {
      if (!Files.readString(p).strip().equals(value)) Files.writeString(p, value);
    } catch (IOException e) {
      throw new IllegalStateException("sysctl " + key + "=" + value + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    host.close();
  }
}
