package dev.berth.network.dns;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The DNS wire format (RFC 1035), as much as the embedded server needs: the header, questions,
 * resource records with name compression on read, and building queries and replies. A message that
 * does not parse throws {@link FormatException}; nothing here resolves anything.
 */
public record DnsMessage(int id, int flags, List<Question> questions, List<Rr> answers, List<Rr> authority,
    List<Rr> additional) {

  public static final int TYPE_A = 1, TYPE_NS = 2, TYPE_CNAME = 5, TYPE_SOA = 6, TYPE_PTR = 12, TYPE_MX = 15,
      TYPE_TXT = 16, TYPE_AAAA = 28, TYPE_OPT = 41, TYPE_ANY = 255;
  public static final int CLASS_IN = 1;
  public static final int NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5;
  public static final int QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080;
  /** The largest reply sent over UDP to a client that did not say (EDNS) it takes more. */
  public static final int UDP_LIMIT = 512;
  static final int HEADER = 12;

  /** A malformed message. */
  public static final class FormatException extends Exception {
    FormatException(String message) {
      super(message);
    }
  }

  /** A question; {@code name} as on the wire (case kept), dotted, without the trailing dot. */
  public record Question(String name, int type, int qclass) {}

  /** A resource record; {@code rdata} raw, {@code text} its decoded form for A, AAAA, PTR, CNAME, NS. */
  public record Rr(String name, int type, int rclass, long ttl, byte[] rdata, String text) {}

  public boolean isResponse() { return (flags & QR) != 0; }
  public int opcode() { return (flags >> 11) & 0xF; }
  public int rcode() { return flags & 0xF; }
  public boolean truncated() { return (flags & TC) != 0; }

  /** Parses a whole message. */
  public static DnsMessage parse(byte[] m) throws FormatException {
    return parse(m, m.length);
  }

  public static DnsMessage parse(byte[] m, int len) throws FormatException {
    if (len < HEADER) throw new FormatException("message of " + len + " bytes is shorter than the 12-byte header");
    int[] pos = {HEADER};
    int qd = u16(m, 4), an = u16(m, 6), ns = u16(m, 8), ar = u16(m, 10);
    List<Question> qs = new ArrayList<>();
    for (int i = 0; i < qd; i++) {
      String name = readName(m, len, pos);
      need(len, pos[0], 4);
      qs.add(new Question(name, u16(m, pos[0]), u16(m, pos[0] + 2)));
      pos[0] += 4;
    }
    List<Rr> a = readRrs(m, len, pos, an), au = readRrs(m, len, pos, ns), ad = readRrs(m, len, pos, ar);
    return new DnsMessage(u16(m, 0), u16(m, 2), List.copyOf(qs), a, au, ad);
  }

  private static List<Rr> readRrs(byte[] m, int len, int[] pos, int count) throws FormatException {
    List<Rr> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = readName(m, len, pos);
      need(len, pos[0], 10);
      int type = u16(m, pos[0]), cls = u16(m, pos[0] + 2);
      long ttl = ((long) u16(m, pos[0] + 4) << 16) | u16(m, pos[0] + 6);
      int rdlen = u16(m, pos[0] + 8);
      pos[0] += 10;
      need(len, pos[0], rdlen);
      byte[] rdata = java.util.Arrays.copyOfRange(m, pos[0], pos[0] + rdlen);
      String text = null;
      if ((type == TYPE_A && rdlen == 4) || (type == TYPE_AAAA && rdlen == 16)) {
        text = address(rdata).getHostAddress();
      } else if (type == TYPE_PTR || type == TYPE_CNAME || type == TYPE_NS) {
        text = readName(m, pos[0] + rdlen, new int[] {pos[0]});
      }
      pos[0] += rdlen;
      out.add(new Rr(name, type, cls, ttl, rdata, text));
    }
    return List.copyOf(out);
  }

  private static InetAddress address(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * Reads a possibly compressed name at {@code pos[0]}, advancing it past the name's bytes in
   * place. Pointers must point backwards (so no loop is possible); a label holding a dot, a
   * backslash or a byte outside printable ASCII is kept escaped as {@code \DDD}.
   */
  static String readName(byte[] m, int len, int[] pos) throws FormatException {
    StringBuilder b = new StringBuilder();
    int p = pos[0], end = -1, wire = 0;
    int limit = p; // a pointer must go below where this name (or the last pointer) started
    while (true) {
      need(len, p, 1);
      int l = m[p] & 0xFF;
      if (l == 0) {
        p++;
        break;
      }
      if ((l & 0xC0) == 0xC0) {
        need(len, p, 2);
        int target = ((l & 0x3F) << 8) | (m[p + 1] & 0xFF);
        if (target >= limit) throw new FormatException("name compression pointer at " + p + " does not point backwards");
        if (end < 0) end = p + 2;
        p = target;
        limit = target;
        continue;
      }
      if ((l & 0xC0) != 0) throw new FormatException("unknown label type 0x" + Integer.toHexString(l) + " at " + p);
      need(len, p + 1, l);
      wire += l + 1;
      if (wire > 254) throw new FormatException("name longer than 255 bytes");
      if (!b.isEmpty()) b.append('.');
      for (int i = p + 1; i <= p + l; i++) {
        int c = m[i] & 0xFF;
        if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7F) {
          b.append('\\').append(String.format(Locale.ROOT, "%03d", c));
        } else {
          b.append((char) c);
        }
      }
      p += l + 1;
    }
    pos[0] = end >= 0 ? end : p;
    return b.toString();
  }

  /** Writes a dotted name (a trailing dot allowed, "" or "." for the root) uncompressed. */
  static void writeName(ByteArrayOutputStream out, String name) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    int total = 1;
    if (!n.isEmpty()) {
      for (String label : n.split("\\.", -1)) {
        byte[] b = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length > 63) throw new IllegalArgumentException("invalid DNS name: " + name);
        total += b.length + 1;
        out.write(b.length);
        out.write(b, 0, b.length);
      }
    }
    if (total > 255) throw new IllegalArgumentException("DNS name longer than 255 bytes: " + name);
    out.write(0);
  }

  /** A standard query for {@code name}, recursion desired. */
  public static byte[] query(int id, String name, int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    header(out, id, RD, 1, 0);
    writeName(out, name);
    u16(out, type);
    u16(out, CLASS_IN);
    return out.toByteArray();
  }

  /** Lower case, no trailing dot: the form names are looked up in. */
  public static String normalize(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  /**
   * The address a reverse name stands for ({@code 4.3.2.1.in-addr.arpa}, the 32 nibbles of
   * {@code ip6.arpa}), or null if it is no complete reverse name.
   */
  public static InetAddress reverseAddress(String normalizedName) {
    try {
      if (normalizedName.endsWith(".in-addr.arpa")) {
        String[] p = normalizedName.substring(0, normalizedName.length() - 13).split("\\.", -1);
        if (p.length != 4) return null;
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
          if (p[i].isEmpty() || p[i].length() > 3 || !p[i].chars().allMatch(Character::isDigit)) return null;
          int v = Integer.parseInt(p[i]);
          if (v > 255) return null;
          b[3 - i] = (byte) v;
        }
        return InetAddress.getByAddress(b);
      }
      if (normalizedName.endsWith(".ip6.arpa")) {
        String[] p = normalizedName.substring(0, normalizedName.length() - 9).split("\\.", -1);
        if (p.length != 32) return null;
        byte[] b = new byte[16];
        for (int i = 0; i < 32; i++) {
          if (p[i].length() != 1 || Character.digit(p[i].charAt(0), 16) < 0) return null;
          int nibble = Character.digit(p[i].charAt(0), 16);
          int idx = 31 - i;
          b[idx / 2] |= (byte) (idx % 2 == 0 ? nibble << 4 : nibble);
        }
        return InetAddress.getByAddress(b);
      }
    } catch (UnknownHostException e) {
      return null;
    }
    return null;
  }

  /** The reverse name of an address, e.g. {@code 2.0.17.172.in-addr.arpa}. */
  public static String reverseName(InetAddress a) {
    byte[] b = a.getAddress();
    StringBuilder s = new StringBuilder();
    if (b.length == 4) {
      for (int i = 3; i >= 0; i--) s.append(b[i] & 0xFF).append('.');
      return s.append("in-addr.arpa").toString();
    }
    for (int i = 15; i >= 0; i--) {
      s.append(Character.forDigit(b[i] & 0xF, 16)).append('.').append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append('.');
    }
    return s.append("ip6.arpa").toString();
  }

  /** An answer record to put in a reply: an address (A/AAAA) or a name (PTR). */
  public record Answer(int type, long ttl, InetAddress address, String target) {
    public static Answer of(InetAddress a, long ttl) {
      return new Answer(a instanceof Inet6Address ? TYPE_AAAA : TYPE_A, ttl, a, null);
    }

    public static Answer ptr(String target, long ttl) {
      return new Answer(TYPE_PTR, ttl, null, target);
    }
  }

  /**
   * A reply to {@code query} (whose one question ends at {@code questionEnd}): the question copied
   * byte for byte (so the asker's case is kept), each answer's owner a pointer to it.
   */
  public static byte[] reply(byte[] query, int questionEnd, int extraFlags, int rcode, List<Answer> answers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(questionEnd + answers.size() * 28);
    int flags = QR | (u16(query, 2) & (0x7800 | RD)) | extraFlags | rcode;
    header(out, u16(query, 0), flags, 1, answers.size());
    out.write(query, HEADER, questionEnd - HEADER);
    for (Answer a : answers) {
      u16(out, 0xC000 | HEADER);
      u16(out, a.type());
      u16(out, CLASS_IN);
      u16(out, (int) (a.ttl() >>> 16));
      u16(out, (int) a.ttl() & 0xFFFF);
      if (a.address() != null) {
        byte[] b = a.address().getAddress();
        u16(out, b.length);
        out.write(b, 0, b.length);
      } else {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        writeName(n, a.target());
        u16(out, n.size());
        out.write(n.toByteArray(), 0, n.size());
      }
    }
    return out.toByteArray();
  }

  /** A reply with no question and no answer: for a query whose question could not be read. */
  public static byte[] headerOnlyReply(byte[] query, int rcode) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER);
    header(out, u16(query, 0), QR | (u16(query, 2) & (0x7800 | RD)) | rcode, 0, 0);
    return out.toByteArray();
  }

  /** The reply cut to its header and question, with TC set: "ask again over TCP". */
  public static byte[] truncate(byte[] reply, int questionEnd) {
    byte[] t = java.util.Arrays.copyOf(reply, questionEnd);
    int flags = u16(t, 2) | TC;
    t[2] = (byte) (flags >> 8);
    t[3] = (byte) flags;
    for (int i = 6; i < 12; i++) t[i] = 0;
    return t;
  }

  private static void header(ByteArrayOutputStream out, int id, int flags, int qd, int an) {
    u16(out, id);
    u16(out, flags);
    u16(out, qd);
    u16(out, an);
    u16(out, 0);
    u16(out, 0);
  }

  static int u16(byte[] m, int off) {
    return ((m[off] & 0xFF) << 8) | (m[off + 1] & 0xFF);
  }

  static void put16(byte[] m, int off, int v) {
    m[off] = (byte) (v >> 8);
    m[off + 1] = (byte) v;
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8);
    out.write(v);
  }

  private static void need(int len, int pos, int n) throws FormatException {
    if (pos + n > len) throw new FormatException("message truncated at byte " + pos);
  }

  /** True for an IPv4 address, for A answers. */
  static boolean isV4(InetAddress a) {
    return a instanceof Inet4Address;
  }
}
