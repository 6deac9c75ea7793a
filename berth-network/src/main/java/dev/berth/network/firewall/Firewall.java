package dev.berth.network.firewall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.network.Cidr;
import dev.berth.sys.nft.NftException;
import dev.berth.sys.nft.Nftables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * berth's packet rules: ONE nftables table of family {@code inet} (name given, "berth" for berthd),
 * never anything outside it. Every operation is one nft transaction (applied whole or not at all)
 * and idempotent. Layout (see berth-network/README.md):
 *
 * <pre>
 * set  bridges                   every berth bridge (isolation, 127/8 masquerade)
 * map  fwd_in / fwd_out / input_if / post / post_out   ifname : jump &lt;per-network chain&gt;
 * map  pub4 / pub6               host addr . proto . host port : container addr . port, comment = container id
 * chain raw_pre   (prerouting, raw)     iifname @bridges ip daddr 127.0.0.0/8 drop
 * chain prerouting (nat, dstnat)        fib daddr type local dnat via @pub4/@pub6
 * chain output     (nat, -100)          same, for the host's own connections (127.0.0.1, own addresses)
 * chain postrouting (nat, srcnat)       oifname @bridges ip saddr 127.0.0.0/8 masquerade; iifname vmap @post;
 *                                       oifname vmap @post_out
 * chain forward / input (filter)        iifname/oifname vmap
 * chains fwd-in-BR, fwd-out-BR, in-BR, post-BR, hairpin-BR   one network's rules
 * </pre>
 *
 * A network's rules live in its own chains, reached through verdict-map elements keyed by the bridge
 * name, and a container's published ports are map elements carrying its id as comment: removing
 * either deletes exactly what it added, by name, no rule handles. Not thread-safe across instances
 * on one table; the methods of one instance are serialised.
 */
public final class Firewall implements AutoCloseable {
    public static final String DEFAULT_TABLE = "berth";

    private static final Pattern TABLE = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");
    private static final Pattern BRIDGE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}");
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final String[] NET_CHAINS = {"fwd-in-", "fwd-out-", "in-", "post-", "hairpin-"};
    private static final String[] NET_MAPS = {"fwd_in", "fwd_out", "input_if", "post", "post_out"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String table;
    private final String t; // "inet <table>"
    private final Nftables nft;

    /**
     * Opens libnftables and creates the table's fixed part if missing (sets, maps, base chains; the
     * base chains' rules rewritten, elements and network chains kept). Runs in the calling thread's
     * network namespace.
     *
     * @throws IllegalArgumentException for a bad table name
     * @throws NftException             if the kernel refuses (no nf_tables, not root)
     */
    public Firewall(String table) {
        if (table == null || !TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("invalid nftables table name: " + table);
        }
        this.table = table;
        this.t = "inet " + table;
        this.nft = new Nftables();
        try {
            nft.run(layout());
        } catch (RuntimeException e) {
            nft.close();
            throw e;
        }
    }

    public String table() {
        return table;
    }

    private String layout() {
        StringBuilder b = new StringBuilder();
        b.append("add table ").append(t).append('\n');
        b.append("add set ").append(t).append(" bridges { type ifname; }\n");
        for (String m : NET_MAPS) {
            b.append("add map ").append(t).append(' ').append(m).append(" { type ifname : verdict; }\n");
        }
        b.append("add map ").append(t).append(" pub4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags interval; }\n");
        b.append("add map ").append(t).append(" pub6 { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; flags interval; }\n");
        chain(b, "raw_pre", "type filter hook prerouting priority raw; policy accept;");
        chain(b, "prerouting", "type nat hook prerouting priority dstnat; policy accept;");
        chain(b, "output", "type nat hook output priority -100; policy accept;");
        chain(b, "postrouting", "type nat hook postrouting priority srcnat; policy accept;");
        chain(b, "forward", "type filter hook forward priority filter; policy accept;");
        chain(b, "input", "type filter hook input priority filter; policy accept;");
        // route_localnet is on for the bridges (127.0.0.1 published ports): never let a container
        // use it to reach the host's loopback services (CVE-2020-8558).
        rule(b, "raw_pre", "iifname @bridges ip daddr 127.0.0.0/8 drop");
        for (String c : new String[] {"prerouting", "output"}) {
            rule(b, c, "meta l4proto { tcp, udp, sctp } fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @pub4");
            rule(b, c, "meta l4proto { tcp, udp, sctp } fib daddr type local dnat ip6 to ip6 daddr . meta l4proto . th dport map @pub6");
        }
        rule(b, "postrouting", "oifname @bridges ip saddr 127.0.0.0/8 masquerade");
        rule(b, "postrouting", "iifname vmap @post");
        rule(b, "postrouting", "oifname vmap @post_out");
        rule(b, "forward", "iifname vmap @fwd_in");
        rule(b, "forward", "oifname vmap @fwd_out");
        rule(b, "input", "iifname vmap @input_if");
        return b.toString();
    }

    private void chain(StringBuilder b, String name, String spec) {
        b.append("add chain ").append(t).append(' ').append(name).append(" { ").append(spec).append(" }\n");
        b.append("flush chain ").append(t).append(' ').append(name).append('\n');
    }

    private void rule(StringBuilder b, String chain, String rule) {
        b.append("add rule ").append(t).append(' ').append(chain).append(' ').append(rule).append('\n');
    }

    /**
     * Installs (or replaces) the rules of one bridge network. Call once the bridge exists: it sets
     * {@code net/ipv4/conf/<bridge>/route_localnet=1} (published ports on 127.0.0.1) and, for a
     * network that is not internal, {@code net/ipv4/ip_forward=1} (and IPv6 forwarding when it has
     * an IPv6 subnet), as dockerd does.
     *
     * @param internal    no traffic leaves the bridge except to the host's address on it
     * @param masquerade  source NAT for traffic from the subnets leaving through another interface
     * @param icc         containers on the bridge may talk to each other (false: dropped; needs
     *                    br_netfilter's bridge-nf-call-iptables, as Docker's icc=false)
     */
    public synchronized void addNetwork(String bridge, List<Cidr> subnets, boolean internal, boolean masquerade, boolean icc) {
        checkBridge(bridge);
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (Cidr c : subnets) {
            (c.isIpv6() ? v6 : v4).add(c.network().toString());
        }
        String q = "\"" + bridge + "\"";
        StringBuilder b = new StringBuilder(removal(bridge));
        for (String c : NET_CHAINS) {
            b.append("add chain ").append(t).append(' ').append(c).append(bridge).append('\n');
        }
        if (internal) {
            rule(b, "fwd-in-" + bridge, "oifname != " + q + " drop");
            rule(b, "fwd-out-" + bridge, "iifname != " + q + " drop");
            rule(b, "in-" + bridge, v4.isEmpty() ? "meta nfproto ipv4 drop"
                    : "ip daddr != { " + String.join(", ", v4) + ", 224.0.0.0/4, 255.255.255.255 } drop");
            rule(b, "in-" + bridge, v6.isEmpty() ? "meta nfproto ipv6 ip6 daddr != { fe80::/10, ff00::/8 } drop"
                    : "ip6 daddr != { " + String.join(", ", v6) + ", fe80::/10, ff00::/8 } drop");
        }
        // Published ports are reachable from every network (as through dockerd's proxy).
        rule(b, "fwd-in-" + bridge, "ct status dnat return");
        if (!icc) {
            rule(b, "fwd-in-" + bridge, "oifname " + q + " drop");
        }
        rule(b, "fwd-in-" + bridge, "oifname @bridges oifname != " + q + " drop");
        // Hairpin: a container reaching a published port of its own bridge (or itself) through a host
        // address; without it the reply would go straight back and miss the reverse NAT. Matched on
        // the way out (source in the subnet), not by iifname: br_netfilter bridges such a packet
        // and postrouting sees no input interface then.
        if (!v4.isEmpty()) {
            rule(b, "hairpin-" + bridge, "ct status dnat ip saddr { " + String.join(", ", v4) + " } masquerade");
        }
        if (!v6.isEmpty()) {
            rule(b, "hairpin-" + bridge, "ct status dnat ip6 saddr { " + String.join(", ", v6) + " } masquerade");
        }
        if (masquerade && !internal) {
            if (!v4.isEmpty()) {
                rule(b, "post-" + bridge, "ip saddr { " + String.join(", ", v4) + " } oifname != " + q + " masquerade");
            }
            if (!v6.isEmpty()) {
                rule(b, "post-" + bridge, "ip6 saddr { " + String.join(", ", v6) + " } oifname != " + q + " masquerade");
            }
        }
        b.append("add element ").append(t).append(" bridges { ").append(q).append(" }\n");
        elements(b, "add", bridge);
        if (!internal) {
            Sysctl.ensure("net/ipv4/conf/" + bridge + "/route_localnet", "1");
            if (!v4.isEmpty()) {
                Sysctl.ensure("net/ipv4/ip_forward", "1");
            }
            if (!v6.isEmpty()) {
                Sysctl.ensure("net/ipv6/conf/all/forwarding", "1");
            }
        }
        nft.run(b.toString());
    }

    /** Removes a network's rules (nothing if it has none). */
    public synchronized void removeNetwork(String bridge) {
        checkBridge(bridge);
        nft.run(removal(bridge));
    }

    /** Idempotent removal: add what may be missing, then delete it all (nft 1.0.6 has no "destroy"). */
    private String removal(String bridge) {
        StringBuilder b = new StringBuilder();
        for (String c : NET_CHAINS) {
            b.append("add chain ").append(t).append(' ').append(c).append(bridge).append('\n');
        }
        b.append("add element ").append(t).append(" bridges { \"").append(bridge).append("\" }\n");
        elements(b, "add", bridge);
        elements(b, "delete", bridge);
        b.append("delete element ").append(t).append(" bridges { \"").append(bridge).append("\" }\n");
        for (String c : NET_CHAINS) {
            b.append("flush chain ").append(t).append(' ').append(c).append(bridge).append('\n');
            b.append("delete chain ").append(t).append(' ').append(c).append(bridge).append('\n');
        }
        return b.toString();
    }

    private void elements(StringBuilder b, String verb, String bridge) {
        for (int i = 0; i < NET_MAPS.length; i++) {
            b.append(verb).append(" element ").append(t).append(' ').append(NET_MAPS[i]).append(" { \"").append(bridge).append('"');
            if (verb.equals("add")) {
                b.append(" : jump ").append(NET_CHAINS[i]).append(bridge);
            }
            b.append(" }\n");
        }
    }

    /**
     * Publishes a container's ports (replacing whatever it had published). Each mapping becomes one
     * element of pub4/pub6 with the container id as its comment.
     *
     * @throws PortAllocationException when a mapping takes packets another container's already take
     *         ("Bind for 0.0.0.0:8080 failed: port is already allocated"); nothing is changed then
     */
    public synchronized void publish(String containerId, List<PortMapping> mappings) {
        checkOwner(containerId);
        Map<String, List<Elem>> all = readPublished();
        for (int i = 0; i < mappings.size(); i++) {
            PortMapping m = mappings.get(i);
            for (int j = 0; j < i; j++) {
                if (m.clashes(mappings.get(j))) {
                    throw PortAllocationException.allocated(m);
                }
            }
            for (var e : all.entrySet()) {
                if (e.getKey().equals(containerId)) {
                    continue;
                }
                for (Elem el : e.getValue()) {
                    if (m.clashes(el.mapping)) {
                        throw PortAllocationException.allocated(m);
                    }
                }
            }
        }
        StringBuilder b = new StringBuilder();
        deleteElems(b, all.getOrDefault(containerId, List.of()));
        for (PortMapping m : mappings) {
            b.append("add element ").append(t).append(m.ipv6() ? " pub6 { " : " pub4 { ").append(key(m))
                    .append(" comment \"").append(containerId).append("\" : ")
                    .append(addr(m.containerIp())).append(" . ").append(m.containerPort()).append(" }\n");
        }
        if (!b.isEmpty()) {
            nft.run(b.toString());
        }
    }

    /** Removes every published port of the container (nothing if it has none). */
    public synchronized void unpublish(String containerId) {
        checkOwner(containerId);
        StringBuilder b = new StringBuilder();
        deleteElems(b, readPublished().getOrDefault(containerId, List.of()));
        if (!b.isEmpty()) {
            nft.run(b.toString());
        }
    }

    /**
     * At start-up: removes the rules of every network whose bridge is not in {@code liveBridges}
     * and the published ports of every container not in {@code liveContainerIds}, in one
     * transaction. Returns what was removed ("network br-x", "container abc…").
     */
    public synchronized List<String> reconcile(Set<String> liveBridges, Set<String> liveContainerIds) {
        List<String> removed = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (String br : networks()) {
            if (!liveBridges.contains(br)) {
                b.append(removal(br));
                removed.add("network " + br);
            }
        }
        for (var e : readPublished().entrySet()) {
            if (!liveContainerIds.contains(e.getKey())) {
                deleteElems(b, e.getValue());
                removed.add("container " + e.getKey());
            }
        }
        if (!b.isEmpty()) {
            nft.run(b.toString());
        }
        return removed;
    }

    /** The bridges that have rules here (members of @bridges, or owners of a network chain left). */
    public synchronized Set<String> networks() {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : listTable()) {
            JsonNode set = n.get("set");
            if (set != null && "bridges".equals(set.path("name").asText()) && set.has("elem")) {
                set.get("elem").forEach(e -> out.add(e.asText()));
            }
            JsonNode chain = n.get("chain");
            if (chain != null) {
                String name = chain.path("name").asText();
                for (String p : NET_CHAINS) {
                    if (name.startsWith(p) && BRIDGE.matcher(name.substring(p.length())).matches()
                            && !(p.equals("in-") && name.startsWith("fwd-"))) {
                        out.add(name.substring(p.length()));
                    }
                }
            }
        }
        return out;
    }

    /** The published ports, by container id, read back from the kernel. */
    public synchronized Map<String, List<PortMapping>> published() {
        Map<String, List<PortMapping>> out = new LinkedHashMap<>();
        readPublished().forEach((k, v) -> out.put(k, v.stream().map(e -> e.mapping).toList()));
        return out;
    }

    /** The whole table in nft's JSON schema (for tests and diagnostics). */
    public synchronized String listJson() {
        return nft.list("list table " + t);
    }

    /** Deletes the whole table (uninstall, tests); the instance is closed. */
    public synchronized void destroy() {
        try {
            nft.run("add table " + t + "\ndelete table " + t + "\n");
        } finally {
            nft.close();
        }
    }

    /** Frees the libnftables context; the table stays. */
    @Override
    public synchronized void close() {
        nft.close();
    }

    // ---- reading back

    private record Elem(String key, PortMapping mapping, boolean v6) {
    }

    private List<JsonNode> listTable() {
        try {
            JsonNode root = JSON.readTree(nft.list("list table " + t));
            List<JsonNode> out = new ArrayList<>();
            root.path("nftables").forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("nftables JSON of table " + table + ": " + e.getMessage(), e);
        }
    }

    private Map<String, List<Elem>> readPublished() {
        Map<String, List<Elem>> out = new LinkedHashMap<>();
        for (JsonNode n : listTable()) {
            JsonNode map = n.get("map");
            if (map == null) {
                continue;
            }
            String name = map.path("name").asText();
            if (!name.equals("pub4") && !name.equals("pub6")) {
                continue;
            }
            for (JsonNode pair : map.path("elem")) {
                JsonNode k = pair.get(0);
                JsonNode v = pair.get(1);
                String comment = k.path("elem").path("comment").asText("");
                JsonNode key = k.has("elem") ? k.get("elem").get("val") : k;
                JsonNode kc = key.path("concat");
                JsonNode vc = v.path("concat");
                String hostAddr;
                InetAddress host;
                JsonNode a = kc.get(0);
                if (a.has("prefix")) {
                    hostAddr = a.get("prefix").get("addr").asText() + "/" + a.get("prefix").get("len").asInt();
                    host = Cidr.parseAddress(a.get("prefix").get("addr").asText());
                } else {
                    hostAddr = a.asText();
                    host = Cidr.parseAddress(hostAddr);
                }
                Protocol p = Protocol.parse(kc.get(1).asText());
                int hostPort = kc.get(2).asInt();
                PortMapping m = new PortMapping(p, host, hostPort, Cidr.parseAddress(vc.get(0).asText()), vc.get(1).asInt());
                out.computeIfAbsent(comment, x -> new ArrayList<>())
                        .add(new Elem(hostAddr + " . " + p.text() + " . " + hostPort, m, name.equals("pub6")));
            }
        }
        return out;
    }

    private void deleteElems(StringBuilder b, List<Elem> elems) {
        for (Elem e : elems) {
            b.append("delete element ").append(t).append(e.v6 ? " pub6 { " : " pub4 { ").append(e.key).append(" }\n");
        }
    }

    private static String key(PortMapping m) {
        String host = m.anyHost() ? (m.ipv6() ? "::/0" : "0.0.0.0/0") : addr(m.hostIp());
        return host + " . " + m.proto().text() + " . " + m.hostPort();
    }

    private static String addr(InetAddress a) {
        return new Cidr(a, a.getAddress().length * 8).addressText();
    }

    private static void checkBridge(String bridge) {
        if (bridge == null || !BRIDGE.matcher(bridge).matches()) {
            throw new IllegalArgumentException("invalid bridge interface name: " + bridge);
        }
    }

    private static void checkOwner(String id) {
        if (id == null || !OWNER.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid container id: " + id);
        }
    }
}
