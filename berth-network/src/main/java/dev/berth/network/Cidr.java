package dev.berth.network;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 prefix ({@code 172.18.0.0/16}, {@code fd00:b::/64}), the one type every part of
 * networking passes subnets, ranges and addresses in. {@link #parse} accepts only a literal address
 * and a prefix length in range (never a host name: no lookup ever happens here) and names what is
 * wrong; the address is kept as given ({@code 172.18.0.5/16} is an address on that subnet), and
 * {@link #network()} gives the prefix itself.
 */
public record Cidr(InetAddress address, int prefix) {

  public Cidr {
    int bits = address.getAddress().length * 8;
    if (prefix < 0 || prefix > bits) throw new IllegalArgumentException("prefix length " + prefix + " out of 0.." + bits);
  }

  /** Parses {@code addr/len}; a bare address is taken as a host prefix (/32 or /128). */
  public static Cidr parse(String s) {
    if (s == null || s.isBlank()) throw new IllegalArgumentException("invalid CIDR address: empty");
    int slash = s.indexOf('/');
    String a = slash < 0 ? s : s.substring(0, slash);
    InetAddress addr = parseAddress(a, s);
    int bits = addr.getAddress().length * 8;
    int len = bits;
    if (slash >= 0) {
      String l = s.substring(slash + 1);
      if (l.isEmpty() || l.length() > 3 || !l.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("invalid CIDR address: " + s);
      }
      len = Integer.parseInt(l);
      if (len > bits) throw new IllegalArgumentException("invalid CIDR address: " + s + " (prefix over " + bits + ")");
    }
    return new Cidr(addr, len);
  }

  /** A literal IPv4 or IPv6 address, never resolved through DNS. */
  public static InetAddress parseAddress(String a) { return parseAddress(a, a); }

  private static InetAddress parseAddress(String a, String whole) {
    boolean v4 = !a.isEmpty() && a.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    boolean v6 = a.indexOf(':') >= 0 && a.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
    if (v4) {
      String[] p = a.split("\\.", -1);
      if (p.length != 4) throw new IllegalArgumentException("invalid IP address: " + whole);
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (p[i].isEmpty() || p[i].length() > 3 || Integer.parseInt(p[i]) > 255) {
          throw new IllegalArgumentException("invalid IP address: " + whole);
        }
        b[i] = (byte) Integer.parseInt(p[i]);
      }
      return of(b);
    }
    if (!v6) throw new IllegalArgumentException("invalid IP address: " + whole);
    try {
      return InetAddress.getByName(a); // a literal with ':' is parsed, never looked up
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("invalid IP address: " + whole);
    }
  }

  private static InetAddress of(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public boolean isIpv6() { return address instanceof Inet6Address; }

  public boolean isIpv4() { return address instanceof Inet4Address; }

  public int bits() { return address.getAddress().length * 8; }

  private BigInteger value() { return new BigInteger(1, address.getAddress()); }

  private BigInteger mask() {
    BigInteger all = BigInteger.ONE.shiftLeft(bits()).subtract(BigInteger.ONE);
    return all.xor(BigInteger.ONE.shiftLeft(bits() - prefix).subtract(BigInteger.ONE));
  }

  private InetAddress fromValue(BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] b = new byte[bits() / 8];
    int n = Math.min(raw.length, b.length);
    System.arraycopy(raw, raw.length - n, b, b.length - n, n);
    return of(b);
  }

  /** The prefix with the host bits cleared. */
  public Cidr network() { return new Cidr(fromValue(value().and(mask())), prefix); }

  /** How many addresses the prefix spans (2^(bits - prefix)). */
  public BigInteger size() { return BigInteger.ONE.shiftLeft(bits() - prefix); }

  /** The n-th address of the prefix (0 is the network address). */
  public InetAddress nth(BigInteger n) {
    if (n.signum() < 0 || n.compareTo(size()) >= 0) throw new IllegalArgumentException(n + " is outside " + this);
    return fromValue(network().value().add(n));
  }

  public InetAddress nth(long n) { return nth(BigInteger.valueOf(n)); }

  /** The offset of {@code a} in this prefix, or -1 if it is not in it. */
  public BigInteger indexOf(InetAddress a) {
    if (!contains(a)) return BigInteger.ONE.negate();
    return new BigInteger(1, a.getAddress()).subtract(network().value());
  }

  public boolean contains(InetAddress a) {
    if (a.getAddress().length != address.getAddress().length) return false;
    return new BigInteger(1, a.getAddress()).and(mask()).equals(value().and(mask()));
  }

  /** True when the two prefixes share an address (same family only). */
  public boolean overlaps(Cidr o) {
    if (o.bits() != bits()) return false;
    int p = Math.min(prefix, o.prefix);
    return new Cidr(address, p).contains(o.address);
  }

  /** The address without the prefix, in the canonical text form Docker prints. */
  public String addressText() {
    String s = address.getHostAddress();
    int pct = s.indexOf('%');
    if (pct >= 0) s = s.substring(0, pct);
    if (isIpv6()) s = compress(s);
    return s;
  }

  /** RFC 5952 form: the longest run of zero groups as "::", lower case, no leading zeros. */
  static String compress(String full) {
    String[] g = full.split(":");
    if (g.length != 8) return full;
    int best = -1, bestLen = 1, cur = -1, len = 0;
    for (int i = 0; i < 8; i++) {
      g[i] = Integer.toHexString(Integer.parseInt(g[i], 16));
      if (g[i].equals("0")) {
        if (cur < 0) { cur = i; len = 0; }
        len++;
        if (len > bestLen) { best = cur; bestLen = len; }
      } else {
        cur = -1;
      }
    }
    if (best < 0) return String.join(":", g);
    String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
    String tail = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, 8));
    return head + "::" + tail;
  }

  @Override public String toString() { return addressText() + "/" + prefix; }
}
