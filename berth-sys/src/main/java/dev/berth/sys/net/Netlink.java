package dev.berth.sys.net;

import dev.berth.sys.Linux;
import dev.berth.sys.Namespaces;
import dev.berth.sys.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * rtnetlink (a NETLINK_ROUTE socket) through FFM: the links, addresses and routes berth's bridge
 * networks need, never an {@code ip} process. A socket works in the network namespace its
 * creating thread was in ({@link #open()} here, {@link #openIn(Path)} in a pinned namespace) for
 * as long as it lives, whichever thread then uses it. One request at a time per socket
 * (synchronized); every change asks for the kernel's acknowledgement, and a refusal is a
 * {@link SyscallException} naming the operation and the link ({@code RTM_NEWLINK veth0: File
 * exists (EEXIST)}).
 *
 * <p>The messages are built by {@link Msg} (pure Java, tested without root).
 */
public final class Netlink implements AutoCloseable {
    // message types
    static final short NLMSG_ERROR = 2, NLMSG_DONE = 3;
    static final short RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19;
    static final short RTM_NEWADDR = 20, RTM_NEWROUTE = 24;
    // flags
    static final short NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    // link attributes
    static final short IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_PROTINFO = 12,
            IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
    static final short IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1, IFLA_BRPORT_MODE = 4;
    static final short NLA_F_NESTED = (short) 0x8000;
    static final short IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
    static final short RTA_GATEWAY = 5, RTA_OIF = 4;
    static final byte AF_UNSPEC = 0, AF_INET = 2, AF_BRIDGE = 7, AF_INET6 = 10;
    public static final int IFF_UP = 1;
    static final int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 02000000, NETLINK_ROUTE = 0;

    /** A link as the kernel reports it. */
    public record Link(int index, String name, int flags, int master, int mtu, byte[] mac, String kind) {
        public boolean up() {
            return (flags & IFF_UP) != 0;
        }
    }

    private final int fd;
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private Netlink(int fd) {
        this.fd = fd;
    }

    /** A socket in the calling thread's network namespace. */
    public static Netlink open() {
        return new Netlink(NetSys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    }

    /** A socket in the network namespace pinned at {@code netns} (made there on a short-lived thread). */
    public static Netlink openIn(Path netns) {
        try {
            return Namespaces.inNetns(netns, Netlink::open);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- operations -------------------------------------------------------------------------

    public Optional<Link> link(String name) {
        Msg m = new Msg(RTM_GETLINK, NLM_F_REQUEST).ifinfo(AF_UNSPEC, 0, 0, 0).attr(IFLA_IFNAME, name);
        return Optional.ofNullable(get(m, name));
    }

    public Optional<Link> link(int index) {
        Msg m = new Msg(RTM_GETLINK, NLM_F_REQUEST).ifinfo(AF_UNSPEC, index, 0, 0);
        return Optional.ofNullable(get(m, "index " + index));
    }

    /** The index of {@code name}; a {@link SyscallException} (ENODEV) naming it if there is none. */
    public int index(String name) {
        return link(name).orElseThrow(() -> new SyscallException("RTM_GETLINK", 19, name)).index();
    }

    public void createBridge(String name, int mtu) {
        ack(Msg.newBridge(name, mtu), name);
    }

    /** A veth pair {@code name} ↔ {@code peer}, both down. */
    public void createVeth(String name, String peer, int mtu) {
        ack(Msg.newVeth(name, peer, mtu), name);
    }

    /**
     * A veth pair in one message: {@code name} here, enslaved to {@code master} (0: none), and
     * {@code peer} created directly in the network namespace open at {@code peerNsFd} with the MAC
     * {@code peerMac} (null: the kernel's). Both ends down. The pair never exists with its peer in
     * this namespace, so a crash at any point leaves no stray peer here: once the other namespace
     * goes, the kernel deletes the pair.
     */
    public void createVethInto(String name, int master, String peer, int peerNsFd, byte[] peerMac, int mtu) {
        ack(Msg.newVethInto(name, master, peer, peerNsFd, peerMac, mtu), name);
    }

    /** {@link #createVethInto(String, int, String, int, byte[], int)} with the namespace pinned at {@code netns}. */
    public void createVethInto(String name, int master, String peer, Path netns, byte[] peerMac, int mtu) {
        int ns = Linux.open(netns.toString(), Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try {
            createVethInto(name, master, peer, ns, peerMac, mtu);
        } finally {
            Linux.close(ns);
        }
    }

    public void setMaster(int index, int master) {
        ack(new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0).attr(IFLA_MASTER, master), "index " + index);
    }

    public void setUp(int index, boolean up) {
        ack(Msg.setFlags(index, up ? IFF_UP : 0, IFF_UP), "index " + index);
    }

    /** Moves the link into the network namespace open at {@code nsFd}; it leaves this socket's namespace. */
    public void moveToNetns(int index, int nsFd) {
        ack(new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0).attr(IFLA_NET_NS_FD, nsFd), "index " + index);
    }

    /** Moves the link into the network namespace pinned at {@code netns}. */
    public void moveToNetns(int index, Path netns) {
        int ns = Linux.open(netns.toString(), Linux.O_RDONLY | Linux.O_CLOEXEC, 0);
        try {
            moveToNetns(index, ns);
        } finally {
            Linux.close(ns);
        }
    }

    /** A link must be down to be renamed. */
    public void rename(int index, String name) {
        ack(new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0).attr(IFLA_IFNAME, name), name);
    }

    public void setMac(int index, byte[] mac) {
        ack(new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0).attr(IFLA_ADDRESS, mac), "index " + index);
    }

    public void setMtu(int index, int mtu) {
        ack(new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0).attr(IFLA_MTU, mtu), "index " + index);
    }

    /** Hairpin mode of a bridge port (IFLA_BRPORT_MODE): frames may leave by the port they came in. */
    public void setHairpin(int index, boolean on) {
        ack(Msg.hairpin(index, on), "index " + index);
    }

    /** Adds {@code address/prefix} to the link (EEXIST if it has it). */
    public void addAddress(int index, InetAddress address, int prefix) {
        ack(Msg.newAddress(index, address, prefix), address.getHostAddress() + "/" + prefix);
    }

    /** The default route via {@code gateway} (IPv4 or IPv6), out of {@code index}. */
    public void addDefaultRoute(InetAddress gateway, int index) {
        ack(Msg.defaultRoute(gateway, index), "default via " + gateway.getHostAddress());
    }

    public void deleteLink(int index) {
        ack(new Msg(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, 0, 0), "index " + index);
    }

    /** Deletes the link {@code name} if it exists; true if it did. */
    public boolean deleteLink(String name) {
        Optional<Link> l = link(name);
        if (l.isEmpty()) return false;
        try {
            deleteLink(l.get().index());
            return true;
        } catch (SyscallException e) {
            if (e.errno() == 19) return false; // went meanwhile
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Linux.close(fd);
        }
    }

    // ---- the exchange -------------------------------------------------------------------------

    private synchronized void ack(Msg m, String subject) {
        exchange(m, subject, false);
    }

    private synchronized Link get(Msg m, String subject) {
        try {
            ByteBuffer reply = exchange(m, subject, true);
            return reply == null ? null : Msg.parseLink(reply);
        } catch (SyscallException e) {
            if (e.errno() == 19) return null; // ENODEV
            throw e;
        }
    }

    /** Sends {@code m}; returns the reply's message (header included) or null for an acknowledgement. */
    private ByteBuffer exchange(Msg m, String subject, boolean wantReply) {
        if (closed) throw new IllegalStateException("netlink socket closed");
        int s = ++seq;
        byte[] req = m.bytes(s);
        NetSys.sendToKernel(fd, req);
        byte[] buf = new byte[65536];
        for (;;) {
            int n = NetSys.recv(fd, buf);
            ByteBuffer b = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.nativeOrder());
            while (b.remaining() >= 16) {
                int start = b.position();
                int len = b.getInt(start);
                short type = b.getShort(start + 4);
                int mseq = b.getInt(start + 8);
                if (len < 16 || start + len > n) break;
                if (mseq == s) {
                    if (type == NLMSG_ERROR) {
                        int err = b.getInt(start + 16);
                        if (err != 0) throw new SyscallException(Msg.typeName(m.type), -err, subject);
                        return null;
                    }
                    if (type != NLMSG_DONE && wantReply) {
                        return ByteBuffer.wrap(buf, start, len).slice().order(ByteOrder.nativeOrder());
                    }
                }
                b.position(start + align(len));
            }
        }
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    // ---- messages -------------------------------------------------------------------------------

    /** One rtnetlink request being built: header, family header, attributes (nested ones too). */
    public static final class Msg {
        final short type;
        final short flags;
        private final ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        private final java.util.ArrayDeque<Integer> nests = new java.util.ArrayDeque<>();

        Msg(short type, int flags) {
            this.type = type;
            this.flags = (short) flags;
            b.position(16);
        }

        static Msg newBridge(String name, int mtu) {
            Msg m = new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).ifinfo(AF_UNSPEC, 0, 0, 0)
                    .attr(IFLA_IFNAME, name);
            if (mtu > 0) m.attr(IFLA_MTU, mtu);
            return m.nest(IFLA_LINKINFO).attr(IFLA_INFO_KIND, "bridge").end();
        }

        static Msg newVeth(String name, String peer, int mtu) {
            Msg m = new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).ifinfo(AF_UNSPEC, 0, 0, 0)
                    .attr(IFLA_IFNAME, name);
            if (mtu > 0) m.attr(IFLA_MTU, mtu);
            m.nest(IFLA_LINKINFO).attr(IFLA_INFO_KIND, "veth").nest(IFLA_INFO_DATA).nest(VETH_INFO_PEER)
                    .ifinfo(AF_UNSPEC, 0, 0, 0).attr(IFLA_IFNAME, peer);
            if (mtu > 0) m.attr(IFLA_MTU, mtu);
            return m.end().end().end();
        }

        static Msg newVethInto(String name, int master, String peer, int peerNsFd, byte[] peerMac, int mtu) {
            Msg m = new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).ifinfo(AF_UNSPEC, 0, 0, 0)
                    .attr(IFLA_IFNAME, name);
            if (mtu > 0) m.attr(IFLA_MTU, mtu);
            if (master > 0) m.attr(IFLA_MASTER, master);
            m.nest(IFLA_LINKINFO).attr(IFLA_INFO_KIND, "veth").nest(IFLA_INFO_DATA).nest(VETH_INFO_PEER)
                    .ifinfo(AF_UNSPEC, 0, 0, 0).attr(IFLA_IFNAME, peer).attr(IFLA_NET_NS_FD, peerNsFd);
            if (peerMac != null) m.attr(IFLA_ADDRESS, peerMac);
            if (mtu > 0) m.attr(IFLA_MTU, mtu);
            return m.end().end().end();
        }

        static Msg setFlags(int index, int flags, int change) {
            return new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_UNSPEC, index, flags, change);
        }

        static Msg hairpin(int index, boolean on) {
            return new Msg(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(AF_BRIDGE, index, 0, 0)
                    .nest((short) (IFLA_PROTINFO | NLA_F_NESTED)).attr(IFLA_BRPORT_MODE, new byte[] {(byte) (on ? 1 : 0)}).end();
        }

        static Msg newAddress(int index, InetAddress address, int prefix) {
            boolean v4 = address instanceof Inet4Address;
            Msg m = new Msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            m.b.put(v4 ? AF_INET : AF_INET6).put((byte) prefix).put((byte) 0).put((byte) 0).putInt(index);
            m.attr(IFA_LOCAL, address.getAddress()).attr(IFA_ADDRESS, address.getAddress());
            if (v4 && prefix < 31) {
                byte[] a = address.getAddress();
                int v = ByteBuffer.wrap(a).getInt() | (int) (0xffffffffL >>> prefix);
                m.attr(IFA_BROADCAST, ByteBuffer.allocate(4).putInt(v).array());
            }
            return m;
        }

        static Msg defaultRoute(InetAddress gateway, int index) {
            boolean v4 = gateway instanceof Inet4Address;
            Msg m = new Msg(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            // family, dst_len, src_len, tos, table main, protocol boot, scope universe, type unicast; flags
            m.b.put(v4 ? AF_INET : AF_INET6).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 254).put((byte) 3)
                    .put((byte) 0).put((byte) 1).putInt(0);
            return m.attr(RTA_GATEWAY, gateway.getAddress()).attr(RTA_OIF, index);
        }

        Msg ifinfo(byte family, int index, int flags, int change) {
            b.put(family).put((byte) 0).putShort((short) 0).putInt(index).putInt(flags).putInt(change);
            return this;
        }

        Msg attr(short t, byte[] v) {
            b.putShort((short) (4 + v.length)).putShort(t).put(v);
            pad();
            return this;
        }

        Msg attr(short t, String v) {
            byte[] s = v.getBytes(StandardCharsets.UTF_8);
            byte[] z = java.util.Arrays.copyOf(s, s.length + 1);
            return attr(t, z);
        }

        Msg attr(short t, int v) {
            b.putShort((short) 8).putShort(t).putInt(v);
            return this;
        }

        Msg nest(short t) {
            nests.push(b.position());
            b.putShort((short) 0).putShort(t);
            return this;
        }

        Msg end() {
            int at = nests.pop();
            b.putShort(at, (short) (b.position() - at));
            return this;
        }

        private void pad() {
            while ((b.position() & 3) != 0) b.put((byte) 0);
        }

        /** The whole message with sequence number {@code seq} (pid 0: the kernel fills it in). */
        public byte[] bytes(int seq) {
            if (!nests.isEmpty()) throw new IllegalStateException("unclosed nested attribute");
            int len = b.position();
            ByteBuffer h = b.duplicate().order(ByteOrder.nativeOrder());
            h.putInt(0, len).putShort(4, type).putShort(6, flags).putInt(8, seq).putInt(12, 0);
            byte[] out = new byte[len];
            h.get(0, out);
            return out;
        }

        static String typeName(short t) {
            return switch (t) {
                case RTM_NEWLINK -> "RTM_NEWLINK";
                case RTM_DELLINK -> "RTM_DELLINK";
                case RTM_GETLINK -> "RTM_GETLINK";
                case RTM_SETLINK -> "RTM_SETLINK";
                case RTM_NEWADDR -> "RTM_NEWADDR";
                case RTM_NEWROUTE -> "RTM_NEWROUTE";
                default -> "rtnetlink " + t;
            };
        }

        /** An RTM_NEWLINK message (header included) as a {@link Link}. */
        static Link parseLink(ByteBuffer m) {
            int len = m.getInt(0);
            int index = m.getInt(16 + 4);
            int flags = m.getInt(16 + 8);
            String name = null, kind = null;
            int master = 0, mtu = 0;
            byte[] mac = new byte[0];
            int p = 32;
            while (p + 4 <= len) {
                int alen = m.getShort(p) & 0xffff;
                int t = m.getShort(p + 2) & 0x3fff;
                if (alen < 4) break;
                int v = p + 4, vlen = alen - 4;
                switch (t) {
                    case IFLA_IFNAME -> name = cstring(m, v, vlen);
                    case IFLA_MASTER -> master = m.getInt(v);
                    case IFLA_MTU -> mtu = m.getInt(v);
                    case IFLA_ADDRESS -> {
                        mac = new byte[vlen];
                        m.get(v, mac);
                    }
                    case IFLA_LINKINFO -> {
                        int q = v;
                        while (q + 4 <= v + vlen) {
                            int l2 = m.getShort(q) & 0xffff;
                            if (l2 < 4) break;
                            if ((m.getShort(q + 2) & 0x3fff) == IFLA_INFO_KIND) kind = cstring(m, q + 4, l2 - 4);
                            q += align(l2);
                        }
                    }
                    default -> {
                    }
                }
                p += align(alen);
            }
            return new Link(index, name, flags, master, mtu, mac, kind);
        }

        private static String cstring(ByteBuffer m, int at, int len) {
            int n = 0;
            while (n < len && m.get(at + n) != 0) n++;
            byte[] s = new byte[n];
            m.get(at, s);
            return new String(s, StandardCharsets.UTF_8);
        }
    }

    /** Docker's MAC for an IPv4 address: 02:42 then the address's four bytes. */
    public static byte[] macFor(InetAddress v4) {
        byte[] a = v4.getAddress();
        return new byte[] {0x02, 0x42, a[0], a[1], a[2], a[3]};
    }

    public static String macText(byte[] mac) {
        StringBuilder sb = new StringBuilder();
        for (byte x : mac) {
            if (!sb.isEmpty()) sb.append(':');
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static MemorySegment copy(Arena arena, byte[] b) {
        MemorySegment s = arena.allocate(Math.max(1, b.length));
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }
}
