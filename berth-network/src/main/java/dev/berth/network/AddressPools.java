package dev.berth.network;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Where subnets of new user networks come from when the request names none: dockerd's default
 * pools (172.17.0.0/16 split into /16s, i.e. 172.17…172.31, then 192.168.0.0/16 in /20s), or
 * berthd's {@code --default-address-pool base=CIDR,size=N}. The first subnet that overlaps no
 * existing network and no route of the host ({@code /proc/net/route}) is taken, as dockerd does.
 */
public final class AddressPools {
  public record Pool(Cidr base, int size) {
    public Pool {
      if (size < base.prefix() || size > base.bits()) {
        throw new IllegalArgumentException("invalid pool size " + size + " for base " + base + " (must be " + base.prefix() + ".." + base.bits() + ")");
      }
      base = base.network();
    }
  }

  public static final List<Pool> DOCKER_DEFAULTS = List.of(new Pool(Cidr.parse("172.17.0.0/12"), 16),
      new Pool(Cidr.parse("192.168.0.0/16"), 20));

  private final List<Pool> pools;

  public AddressPools(List<Pool> pools) {
    this.pools = List.copyOf(pools);
  }

  /** dockerd's {@code --default-address-pool base=10.10.0.0/16,size=24}. */
  public static Pool parse(String spec) {
    String base = null;
    Integer size = null;
    for (String kv : spec.split(",")) {
      int eq = kv.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("invalid default address pool " + spec + ": expected base=CIDR,size=N");
      String k = kv.substring(0, eq).trim(), v = kv.substring(eq + 1).trim();
      switch (k) {
        case "base" -> base = v;
        case "size" -> {
          try {
            size = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid default address pool " + spec + ": size " + v + " is not a number");
          }
        }
        default -> throw new IllegalArgumentException("invalid default address pool " + spec + ": unknown field " + k);
      }
    }
    if (base == null || size == null) throw new IllegalArgumentException("invalid default address pool " + spec + ": base and size are needed");
    return new Pool(Cidr.parse(base), size);
  }

  /** The first free subnet; {@code taken}: the subnets of every network there is. */
  public Cidr next(Collection<Cidr> taken) {
    List<Cidr> busy = new ArrayList<>(taken);
    busy.addAll(hostRoutes());
    for (Pool p : pools) {
      BigInteger count = BigInteger.ONE.shiftLeft(p.size() - p.base().prefix());
      BigInteger step = BigInteger.ONE.shiftLeft(p.base().bits() - p.size());
      for (BigInteger i = BigInteger.ZERO; i.compareTo(count) < 0 && i.compareTo(BigInteger.valueOf(1 << 20)) < 0; i = i.add(BigInteger.ONE)) {
        Cidr c = new Cidr(p.base().nth(i.multiply(step)), p.size());
        if (busy.stream().noneMatch(b -> b.isIpv4() == c.isIpv4() && b.overlaps(c))) return c;
      }
    }
    throw new IpamException("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
  }

  /** The IPv4 destinations the host routes (no default route). */
  public static List<Cidr> hostRoutes() {
    List<Cidr> out = new ArrayList<>();
    try {
      for (String l : Files.readAllLines(Path.of("/proc/net/route"))) {
        String[] f = l.trim().split("\\s+");
        if (f.length < 8 || f[0].equals("Iface")) continue;
        long dst = Long.parseLong(f[1], 16), mask = Long.parseLong(f[7], 16);
        if (mask == 0) continue;
        InetAddress a = InetAddress.getByAddress(new byte[] {(byte) dst, (byte) (dst >> 8), (byte) (dst >> 16), (byte) (dst >> 24)});
        out.add(new Cidr(a, Long.bitCount(mask)));
      }
    } catch (IOException | RuntimeException e) {
      // no procfs: only the networks count
    }
    return out;
  }
}
