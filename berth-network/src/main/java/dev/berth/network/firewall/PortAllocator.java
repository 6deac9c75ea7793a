package dev.berth.network.firewall;

import dev.berth.network.Cidr;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Host ports for published container ports. A port is given to one owner (container id) at a time:
 * the allocator holds a <b>placeholder socket</b> bound (never listening) on the host address and
 * port for as long as the owner has it, so that no other process can bind it meanwhile and a port
 * another process holds is refused ("Bind for 0.0.0.0:8080 failed: port is already allocated", as
 * dockerd says). The traffic itself never reaches the placeholder: the DNAT rules of {@link Firewall}
 * send it to the container before local delivery, so no userland proxy copies bytes. Random ports
 * come from the ephemeral range ({@code net/ipv4/ip_local_port_range}), round-robin, so a port just
 * released is not handed out again at once. SCTP ports are booked here but get no placeholder.
 *
 * <p>The placeholders live in this JVM: after a berthd restart the engine re-books the running
 * containers' ports with {@link #reserve}.
 */
public final class PortAllocator implements AutoCloseable {
    private final int low;
    private final int high;
    private int cursor;
    private final Map<String, List<Held>> owners = new LinkedHashMap<>();

    private record Held(List<PortMapping> mappings, Closeable socket) {
    }

    /** Random ports from this network namespace's ip_local_port_range. */
    public PortAllocator() {
        this(ephemeralRange()[0], ephemeralRange()[1]);
    }

    public PortAllocator(int low, int high) {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("invalid port range " + low + "-" + high);
        }
        this.low = low;
        this.high = high;
        this.cursor = low;
    }

    static int[] ephemeralRange() {
        try {
            String[] f = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip().split("\\s+");
            return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32768, 60999};
        }
    }

    /**
     * Books host ports for {@code owner}'s specs, all or none, and returns the mappings to publish:
     * a spec with no host address gives one mapping per container address family present
     * (0.0.0.0 → the IPv4 address, :: → the IPv6 address, same host port).
     *
     * @param containerV4 the container's IPv4 address on its network, or null
     * @param containerV6 the container's IPv6 address, or null
     * @throws PortAllocationException naming the port when it is taken (by anyone) or none is free
     * @throws IllegalArgumentException when a spec's host address has no container address of its family
     */
    public synchronized List<PortMapping> allocate(String owner, List<PortSpec> specs, InetAddress containerV4, InetAddress containerV6) {
        List<Held> made = new ArrayList<>();
        try {
            for (PortSpec s : specs) {
                made.add(book(owner, s, containerV4, containerV6, made));
            }
        } catch (RuntimeException e) {
            made.forEach(h -> closeQuietly(h.socket));
            throw e;
        }
        owners.computeIfAbsent(owner, k -> new ArrayList<>()).addAll(made);
        return made.stream().flatMap(h -> h.mappings.stream()).toList();
    }

    /** Re-books mappings an owner already has in the kernel (berthd restart). */
    public synchronized void reserve(String owner, List<PortMapping> mappings) {
        List<Held> made = new ArrayList<>();
        try {
            for (PortMapping m : mappings) {
                checkBerth(List.of(m), made);
                made.add(new Held(List.of(m), placeholder(m.proto(), m.hostIp(), m.hostPort(), m.hostIpText())));
            }
        } catch (RuntimeException e) {
            made.forEach(h -> closeQuietly(h.socket));
            throw e;
        }
        owners.computeIfAbsent(owner, k -> new ArrayList<>()).addAll(made);
    }

    /** Gives back every port of the owner (closes its placeholders). */
    public synchronized void release(String owner) {
        List<Held> held = owners.remove(owner);
        if (held != null) {
            held.forEach(h -> closeQuietly(h.socket));
        }
    }

    /** What the owner holds. */
    public synchronized List<PortMapping> allocated(String owner) {
        return owners.getOrDefault(owner, List.of()).stream().flatMap(h -> h.mappings.stream()).toList();
    }

    @Override
    public synchronized void close() {
        new ArrayList<>(owners.keySet()).forEach(this::release);
    }

    private Held book(String owner, PortSpec s, InetAddress v4, InetAddress v6, List<Held> pending) {
        List<InetAddress[]> pairs = new ArrayList<>(); // {host, container}
        InetAddress bindAddr;
        String shown;
        if (s.hostIp().isEmpty()) {
            if (v4 == null && v6 == null) {
                throw new IllegalArgumentException("cannot publish " + s.containerKey() + ": the container has no address");
            }
            if (v4 != null) {
                pairs.add(new InetAddress[] {any(false), v4});
            }
            if (v6 != null) {
                pairs.add(new InetAddress[] {any(true), v6});
            }
            bindAddr = any(v6 != null); // [::] is dual-stack: it holds 0.0.0.0 too
            shown = v4 != null ? "0.0.0.0" : "::";
        } else {
            InetAddress h = Cidr.parseAddress(s.hostIp());
            InetAddress c = h instanceof Inet6Address ? v6 : v4;
            if (c == null) {
                throw new IllegalArgumentException("cannot publish " + s.hostIp() + ":" + s.containerKey()
                        + ": the container has no " + (h instanceof Inet6Address ? "IPv6" : "IPv4") + " address");
            }
            pairs.add(new InetAddress[] {h, c});
            bindAddr = h;
            shown = s.hostIp();
        }
        boolean v6shown = shown.contains(":");
        if (!s.randomHostPort()) {
            PortAllocationException last = null;
            for (int p = s.hostPortLow(); p <= s.hostPortHigh(); p++) {
                try {
                    return take(s, pairs, bindAddr, shown, p, pending);
                } catch (PortAllocationException e) {
                    last = e;
                }
            }
            if (s.hostPortLow() == s.hostPortHigh()) {
                throw last;
            }
            throw new PortAllocationException("Bind for " + (v6shown ? "[" + shown + "]" : shown) + ":" + s.hostPortLow()
                    + "-" + s.hostPortHigh() + " failed: all ports are allocated");
        }
        int n = high - low + 1;
        for (int i = 0; i < n; i++) {
            int p = cursor;
            cursor = cursor == high ? low : cursor + 1;
            try {
                return take(s, pairs, bindAddr, shown, p, pending);
            } catch (PortAllocationException e) {
                // next one
            }
        }
        throw new PortAllocationException("no free host port in " + low + "-" + high + " for " + s.containerKey()
                + ": all ports are allocated");
    }

    private Held take(PortSpec s, List<InetAddress[]> pairs, InetAddress bindAddr, String shown, int port, List<Held> pending) {
        List<PortMapping> ms = new ArrayList<>();
        for (InetAddress[] p : pairs) {
            ms.add(new PortMapping(s.proto(), p[0], port, p[1], s.containerPort()));
        }
        checkBerth(ms, pending);
        return new Held(ms, placeholder(s.proto(), bindAddr, port, shown));
    }

    private void checkBerth(List<PortMapping> ms, List<Held> pending) {
        for (PortMapping m : ms) {
            for (List<Held> hs : owners.values()) {
                check(m, hs);
            }
            check(m, pending);
        }
    }

    private static void check(PortMapping m, List<Held> hs) {
        for (Held h : hs) {
            for (PortMapping o : h.mappings) {
                // Family does not matter here: [::]:p dual-stack holds 0.0.0.0:p too.
                if (o.proto() == m.proto() && o.hostPort() == m.hostPort()
                        && (o.anyHost() || m.anyHost() || o.hostIp().equals(m.hostIp()))) {
                    throw PortAllocationException.allocated(m);
                }
            }
        }
    }

    /** A socket bound to addr:port and nothing more, so that nobody else can bind it. */
    private static Closeable placeholder(Protocol proto, InetAddress addr, int port, String shown) {
        try {
            switch (proto) {
                case TCP -> {
                    Socket s = new Socket();
                    try {
                        s.setReuseAddress(false);
                        s.bind(new InetSocketAddress(addr, port));
                    } catch (IOException e) {
                        s.close();
                        throw e;
                    }
                    return s;
                }
                case UDP -> {
                    DatagramChannel c = DatagramChannel.open(addr instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                    try {
                        c.setOption(StandardSocketOptions.SO_REUSEADDR, false);
                        c.bind(new InetSocketAddress(addr, port));
                    } catch (IOException e) {
                        c.close();
                        throw e;
                    }
                    return c;
                }
                default -> {
                    return () -> { };
                }
            }
        } catch (IOException e) {
            throw PortAllocationException.allocated(shown, shown.contains(":"), port);
        }
    }

    private static InetAddress any(boolean v6) {
        return Cidr.parseAddress(v6 ? "::" : "0.0.0.0");
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing held any more either way
        }
    }
}
