package dev.berth.engine.networks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.network.AddressPools;
import dev.berth.network.Cidr;
import dev.berth.network.Ipam;
import dev.berth.network.IpamException;
import dev.berth.network.NetworkConfig;
import dev.berth.network.NetworkStore;
import dev.berth.network.bridge.BridgeDriver;
import dev.berth.network.firewall.Firewall;
import dev.berth.network.firewall.PortAllocationException;
import dev.berth.network.firewall.PortAllocator;
import dev.berth.network.firewall.PortMapping;
import dev.berth.network.firewall.PortSpec;
import dev.berth.network.firewall.PortsView;
import dev.berth.sys.net.NetNs;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Docker's networks for berthd: the predefined {@code bridge} (berthd's {@code --bridge} and
 * {@code --bip}), {@code host} and {@code none}, and user-defined bridge networks (create, inspect,
 * list, remove, connect, disconnect, prune), persisted under {@code <root>/network}.
 *
 * <p>A container on a bridge network gets a network namespace pinned at
 * {@code <execRoot>/netns/<id>} before it starts ({@link #setUp}), given to the runtime as the OCI
 * config's network namespace path, with one veth endpoint per network ({@code eth0}, {@code eth1},
 * …: the network of its NetworkMode first, the default route through its gateway). When the
 * container stops ({@link #tearDown}) its endpoints are detached, addresses released and the
 * namespace removed; a failure half-way does the same. What a container asked for (networks,
 * aliases, static addresses) and its live endpoints are stored per container
 * ({@code network/endpoints/<id>.json}), so a restarted berthd finds them again.
 *
 * <p>{@link Hooks} let the firewall and the DNS server follow networks and endpoints.
 */
public final class NetworkService implements AutoCloseable {
  /** Listeners of network and endpoint changes (called after the change, on the caller's thread; exceptions are logged). */
  public interface Hooks {
    default void networkCreated(NetworkConfig n) {}

    default void networkRemoved(NetworkConfig n) {}

    default void endpointAttached(NetworkConfig n, Endpoint e) {}

    default void endpointDetached(NetworkConfig n, Endpoint e) {}
  }

  /** berthd's options: default bridge name and address, default pools for new networks, the exec root (netns pins). */
  public record Options(Path root, Path execRoot, String bridgeName, Cidr bip, List<AddressPools.Pool> pools, int mtu) {
    public static final String DEFAULT_BRIDGE = "berth0";
    public static final String DEFAULT_BIP = "172.17.0.1/16";
  }

  /** What the engine knows of a container and the network service needs. */
  public record ContainerRef(String id, String name, String hostname, boolean running) {}

  /** The engine, for connect/disconnect by name and for the names in inspect. */
  public interface Containers {
    /** The container by id, name or id prefix; a {@link NetworkException} 404 if none. */
    ContainerRef find(String ref);
  }

  static final class Attachment {
    String networkId;
    List<String> aliases = List.of();
    String ipv4 = "", ipv6 = "";
    Endpoint live;
  }

  static final class Sandbox {
    String containerId, name, hostname, sandboxId = "";
    JsonNode portBindings, exposedPorts; // HostConfig.PortBindings, Config.ExposedPorts
    boolean publishAll;
    String netns = "";
    final LinkedHashMap<String, Attachment> attachments = new LinkedHashMap<>(); // network id → attachment
  }

  static final com.fasterxml.jackson.databind.ObjectMapper M = NetworkStore.M;
  private static final java.io.PrintStream LOG = System.err;
  /** $BERTH_NET_TRACE=1: one line per setUp with its phases' durations on berthd's stderr (bench/netsetup.sh reads them). */
  private static final boolean TRACE = "1".equals(System.getenv("BERTH_NET_TRACE"));

  private final Options options;
  private final NetworkStore store;
  private final AddressPools pools;
  private BridgeDriver driver;
  private final Map<String, NetworkConfig> networks = new ConcurrentHashMap<>();
  private final Map<String, Ipam> ipam4 = new ConcurrentHashMap<>(), ipam6 = new ConcurrentHashMap<>();
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final List<Hooks> hooks = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();
  private volatile Containers containers;
  private final Path netnsDir;
  private Firewall firewall; // null: no packet rules (no nf_tables)
  private final PortAllocator ports = new PortAllocator();

  public NetworkService(Options options) throws IOException {
    this.options = options;
    this.store = new NetworkStore(options.root());
    this.pools = new AddressPools(options.pools() == null || options.pools().isEmpty() ? AddressPools.DOCKER_DEFAULTS : options.pools());
    this.netnsDir = options.execRoot().resolve("netns");
    Files.createDirectories(netnsDir);
    try {
      this.driver = new BridgeDriver();
    } catch (RuntimeException e) {
      LOG.println("berthd: no rtnetlink (" + e.getMessage() + "): bridge networks are unavailable");
    }
    addPredefined();
    for (NetworkConfig n : store.networks()) {
      if (n.predefined()) continue;
      networks.put(n.id(), n);
      openIpam(n);
    }
    for (NetworkConfig n : networks.values()) {
      if (!n.bridgeDriver()) continue;
      try {
        ensureBridge(n);
      } catch (RuntimeException e) {
        LOG.println("berthd: network " + n.name() + ": cannot set up bridge " + n.bridge() + ": " + e.getMessage());
      }
    }
    for (String cid : store.endpointOwners()) {
      JsonNode doc = store.endpoints(cid);
      if (doc != null) {
        try {
          sandboxes.put(cid, fromJson(doc));
        } catch (RuntimeException e) {
          LOG.println("berthd: cannot read the endpoints of " + cid + ": " + e.getMessage());
        }
      }
    }
  }

  /** berthd's --bip: an address with its prefix (the gateway of the default bridge). */
  public static Cidr checkBip(String bip) {
    Cidr c;
    try {
      c = Cidr.parse(bip);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--bip " + bip + ": " + e.getMessage());
    }
    if (!bip.contains("/") || !c.isIpv4() || c.prefix() > 30 || c.address().equals(c.network().address())) {
      throw new IllegalArgumentException("--bip " + bip + ": an IPv4 gateway address with its prefix, e.g. 172.17.0.1/16");
    }
    return c;
  }

  public static AddressPools.Pool checkPool(String spec) {
    try {
      return AddressPools.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--default-address-pool: " + e.getMessage());
    }
  }

  /** berthd's service from its flags (checked by {@link #checkBip} and {@link #checkPool}). */
  public static NetworkService open(Path root, Path execRoot, String bridge, String bip, List<String> pools, int mtu, String nftTable)
      throws IOException {
    List<AddressPools.Pool> ps = new ArrayList<>();
    for (String p : pools) ps.add(checkPool(p));
    NetworkService s = new NetworkService(new Options(root, execRoot, bridge, checkBip(bip), ps, mtu));
    s.nftTable = nftTable;
    try {
      s.firewall = new Firewall(nftTable);
    } catch (RuntimeException e) {
      LOG.println("berthd: no packet rules (nftables table " + nftTable + "): " + e.getMessage() + "; published ports and NAT are unavailable");
    }
    s.dns = new DnsHooks(s);
    s.addHooks(s.dns);
    return s;
  }

  private String nftTable = "berth";
  private DnsHooks dns;

  /** The nftables table berthd's rules live in ({@code --nft-table}). */
  public String nftTable() { return nftTable; }

  public Options options() { return options; }

  public void containers(Containers c) { this.containers = c; }

  public void addHooks(Hooks h) { hooks.add(h); }

  // ---- predefined ---------------------------------------------------------------------------

  /** A stable 64-hex ID per predefined network name. */
  public static String predefinedId(String name) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(("berth-predefined-network:" + name).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void addPredefined() {
    String created = Instant.now().toString();
    Cidr bip = options.bip() == null ? Cidr.parse(Options.DEFAULT_BIP) : options.bip();
    String br = options.bridgeName() == null ? Options.DEFAULT_BRIDGE : options.bridgeName();
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("com.docker.network.bridge.default_bridge", "true");
    opts.put("com.docker.network.bridge.enable_icc", "true");
    opts.put("com.docker.network.bridge.enable_ip_masquerade", "true");
    opts.put("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0");
    opts.put(NetworkConfig.BRIDGE_NAME, br);
    opts.put(NetworkConfig.MTU, Integer.toString(options.mtu() > 0 ? options.mtu() : 1500));
    NetworkConfig bridge = new NetworkConfig(predefinedId("bridge"), "bridge", "bridge", created, br,
        List.of(new NetworkConfig.Pool(bip.network().toString(), bip.addressText(), null)), true, false, false, false, Map.of(), opts,
        true, options.mtu());
    networks.put(bridge.id(), bridge);
    openIpam(bridge);
    networks.put(predefinedId("host"), new NetworkConfig(predefinedId("host"), "host", "host", created, "", List.of(), false, false, false,
        false, Map.of(), Map.of(), true, 0));
    networks.put(predefinedId("none"), new NetworkConfig(predefinedId("none"), "none", "null", created, "", List.of(), false, false, false,
        false, Map.of(), Map.of(), true, 0));
  }

  private void openIpam(NetworkConfig n) {
    n.ipv4().ifPresent(p -> ipam4.put(n.id(), new Ipam(store, n.id(), n.name(), p.subnetCidr(), p.rangeCidr(), p.gatewayAddress())));
    n.ipv6().ifPresent(p -> ipam6.put(n.id(), new Ipam(store, n.id(), n.name(), p.subnetCidr(), p.rangeCidr(), p.gatewayAddress())));
  }

  private void ensureBridge(NetworkConfig n) {
    if (driver == null) throw NetworkException.system("bridge networks are unavailable (no rtnetlink)");
    List<Cidr> gws = new ArrayList<>();
    for (NetworkConfig.Pool p : n.ipam()) gws.add(new Cidr(p.gatewayAddress(), p.subnetCidr().prefix()));
    driver.ensureBridge(n.bridge(), gws, n.mtu(), !n.internal());
  }

  /** The default bridge's Linux bridge is up (berthd calls it at start; failure is logged, not fatal). */
  public void start() {
    NetworkConfig b = networks.get(predefinedId("bridge"));
    try {
      ensureBridge(b);
    } catch (RuntimeException e) {
      LOG.println("berthd: cannot set up the default bridge " + b.bridge() + ": " + e.getMessage());
    }
    for (NetworkConfig n : networks.values()) {
      if (!n.bridgeDriver()) continue;
      try {
        addRules(n);
      } catch (RuntimeException e) {
        LOG.println("berthd: network " + n.name() + ": cannot install its packet rules: " + e.getMessage());
      }
    }
  }

  /** The network's packet rules: isolation, masquerade unless internal or turned off, icc as its options say. */
  private void addRules(NetworkConfig n) {
    if (firewall == null) return;
    List<Cidr> subnets = n.ipam().stream().map(NetworkConfig.Pool::subnetCidr).toList();
    boolean masq = !"false".equals(n.options().get("com.docker.network.bridge.enable_ip_masquerade"));
    boolean icc = !"false".equals(n.options().get("com.docker.network.bridge.enable_icc"));
    firewall.addNetwork(n.bridge(), subnets, n.internal(), masq && !n.internal(), icc);
  }

  // ---- lookup -------------------------------------------------------------------------------

  /** dockerd's network lookup: full ID, then exact name, then a unique ID prefix; 404 otherwise. */
  public NetworkConfig get(String ref) {
    if (ref == null || ref.isEmpty()) throw NetworkException.notFound("network " + ref + " not found");
    NetworkConfig n = networks.get(ref);
    if (n != null) return n;
    for (NetworkConfig x : networks.values()) if (x.name().equals(ref)) return x;
    NetworkConfig found = null;
    for (NetworkConfig x : networks.values()) {
      if (x.id().startsWith(ref)) {
        if (found != null) throw NetworkException.invalid("network " + ref + " is ambiguous");
        found = x;
      }
    }
    if (found == null) throw NetworkException.notFound("network " + ref + " not found");
    return found;
  }

  public Optional<NetworkConfig> find(String ref) {
    try {
      return Optional.of(get(ref));
    } catch (NetworkException e) {
      return Optional.empty();
    }
  }

  /** Every network: predefined first (bridge, host, none), then by creation. */
  public List<NetworkConfig> list() {
    List<NetworkConfig> all = new ArrayList<>(networks.values());
    all.sort((a, b) -> {
      if (a.predefined() != b.predefined()) return a.predefined() ? -1 : 1;
      if (a.predefined()) return order(a.name()) - order(b.name());
      return a.created().compareTo(b.created());
    });
    return all;
  }

  private static int order(String n) {
    return switch (n) {
      case "bridge" -> 0;
      case "host" -> 1;
      default -> 2;
    };
  }

  /** The live endpoints on network {@code id}. */
  public List<Endpoint> endpoints(String networkId) {
    List<Endpoint> out = new ArrayList<>();
    for (Sandbox s : sandboxes.values()) {
      synchronized (s) {
        Attachment a = s.attachments.get(networkId);
        if (a != null && a.live != null) out.add(a.live);
      }
    }
    return out;
  }

  /** Every live endpoint of a container. */
  public List<Endpoint> endpointsOf(String containerId) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) return List.of();
    synchronized (s) {
      return s.attachments.values().stream().filter(a -> a.live != null).map(a -> a.live).toList();
    }
  }

  /** Every live endpoint of every container. */
  public List<Endpoint> allEndpoints() {
    List<Endpoint> out = new ArrayList<>();
    for (String id : sandboxes.keySet()) out.addAll(endpointsOf(id));
    return out;
  }

  // ---- create, remove, prune -----------------------------------------------------------------

  public record Created(String id, String warning) {}

  /** POST /networks/create with moby's NetworkCreateRequest. */
  public Created create(JsonNode req) {
    String name = req.path("Name").asText("");
    if (name.isEmpty()) throw NetworkException.invalid("network name is empty"); // dockerd: invalid name
    if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) throw NetworkException.invalid("invalid network name \"" + name + "\"");
    if (Set.of("bridge", "host", "none").contains(name)) throw NetworkException.forbidden("operation is not permitted on predefined " + name + " network");
    String driverName = req.path("Driver").asText("");
    if (driverName.isEmpty()) driverName = "bridge";
    if (!driverName.equals("bridge")) throw NetworkException.notFound("plugin \"" + driverName + "\" not found");
    if (req.path("Scope").asText("local").equals("swarm") || req.path("Ingress").asBoolean(false)) {
      throw NetworkException.forbidden("berth has no swarm: only local bridge networks");
    }
    if (req.path("ConfigOnly").asBoolean(false) || !req.path("ConfigFrom").path("Network").asText("").isEmpty()) {
      throw NetworkException.invalid("config-only networks are not supported");
    }
    String ipamDriver = req.path("IPAM").path("Driver").asText("");
    if (!ipamDriver.isEmpty() && !ipamDriver.equals("default")) throw NetworkException.notFound("plugin \"" + ipamDriver + "\" not found");
    Map<String, String> opts = strings(req.get("Options"), "Options");
    Map<String, String> labels = strings(req.get("Labels"), "Labels");
    boolean internal = req.path("Internal").asBoolean(false);
    boolean ipv6 = req.path("EnableIPv6").asBoolean(false) || "true".equals(opts.get("com.docker.network.enable_ipv6"));
    int mtu = 0;
    if (opts.containsKey(NetworkConfig.MTU)) {
      try {
        mtu = Integer.parseInt(opts.get(NetworkConfig.MTU));
        if (mtu < 68 || mtu > 65535) throw new NumberFormatException();
      } catch (NumberFormatException e) {
        throw NetworkException.invalid("invalid MTU " + opts.get(NetworkConfig.MTU) + " (" + NetworkConfig.MTU + "): 68..65535");
      }
    }
    synchronized (this) {
      for (NetworkConfig n : networks.values()) {
        if (n.name().equals(name)) throw NetworkException.conflict("network with name " + name + " already exists");
      }
      String id = newId();
      String bridge = opts.getOrDefault(NetworkConfig.BRIDGE_NAME, "br-" + id.substring(0, 12));
      if (bridge.length() > 15 || !bridge.matches("[a-zA-Z0-9_.-]+")) {
        throw NetworkException.invalid("invalid bridge name " + bridge + " (" + NetworkConfig.BRIDGE_NAME + "): at most 15 of [a-zA-Z0-9_.-]");
      }
      for (NetworkConfig n : networks.values()) {
        if (bridge.equals(n.bridge())) throw NetworkException.conflict("bridge name " + bridge + " is already used by network " + n.name());
      }
      if (driver != null && driver.bridgeExists(bridge)) {
        throw NetworkException.conflict("bridge name " + bridge + " (" + NetworkConfig.BRIDGE_NAME + ") is already in use on the host");
      }
      List<NetworkConfig.Pool> ipam = ipamConfig(req.path("IPAM").path("Config"), name, ipv6);
      NetworkConfig n = new NetworkConfig(id, name, "bridge", Instant.now().toString(), bridge, ipam, true, ipv6, internal,
          req.path("Attachable").asBoolean(false), labels, opts, false, mtu);
      store.save(n);
      try {
        ensureBridge(n);
      } catch (RuntimeException e) {
        store.delete(n.id());
        try {
          if (driver != null) driver.removeBridge(bridge);
        } catch (RuntimeException ignored) {
          // reported below
        }
        throw NetworkException.system("cannot create bridge " + bridge + " for network " + name + ": " + e.getMessage());
      }
      try {
        addRules(n);
      } catch (RuntimeException e) {
        store.delete(n.id());
        try {
          driver.removeBridge(bridge);
          if (firewall != null) firewall.removeNetwork(bridge);
        } catch (RuntimeException ignored) {
          // reported below
        }
        throw NetworkException.system("cannot install the packet rules of network " + name + ": " + e.getMessage());
      }
      networks.put(id, n);
      openIpam(n);
      for (Hooks h : hooks) call(() -> h.networkCreated(n));
      return new Created(id, "");
    }
  }

  private static Map<String, String> strings(JsonNode o, String field) {
    Map<String, String> m = new LinkedHashMap<>();
    if (o == null || o.isNull()) return m;
    if (!o.isObject()) throw NetworkException.invalid(field + ": must be an object of strings");
    o.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  private List<NetworkConfig.Pool> ipamConfig(JsonNode configs, String name, boolean ipv6) {
    List<NetworkConfig.Pool> out = new ArrayList<>();
    List<Cidr> taken = new ArrayList<>();
    for (NetworkConfig n : networks.values()) for (NetworkConfig.Pool p : n.ipam()) taken.add(p.subnetCidr());
    boolean have4 = false, have6 = false;
    for (JsonNode c : configs) {
      String subnetText = c.path("Subnet").asText("");
      if (subnetText.isEmpty()) throw NetworkException.invalid("IPAM config without a subnet is not supported (network " + name + ")");
      Cidr subnet;
      try {
        subnet = Cidr.parse(subnetText);
      } catch (IllegalArgumentException e) {
        throw NetworkException.invalid("invalid subnet " + subnetText + ": " + e.getMessage());
      }
      if (!subnet.address().equals(subnet.network().address())) {
        // dockerd accepts 10.1.2.3/24 meaning 10.1.2.0/24
        subnet = subnet.network();
      }
      if (subnet.isIpv4() ? subnet.prefix() > 30 : subnet.prefix() > 126) {
        throw NetworkException.invalid("invalid subnet " + subnetText + ": too small for a gateway and a container");
      }
      if (subnet.isIpv6() && !ipv6) throw NetworkException.invalid("IPv6 subnet " + subnetText + " on a network without --ipv6");
      for (NetworkConfig n : networks.values()) {
        for (NetworkConfig.Pool p : n.ipam()) {
          if (p.subnetCidr().isIpv4() == subnet.isIpv4() && p.subnetCidr().overlaps(subnet)) {
            throw NetworkException.forbidden("invalid pool request: Pool overlaps with other one on this address space: " + subnet
                + " overlaps " + p.subnetCidr() + " of network " + n.name());
          }
        }
      }
      for (NetworkConfig.Pool p : out) {
        if (p.subnetCidr().overlaps(subnet)) throw NetworkException.forbidden("invalid pool request: subnets " + p.subnet() + " and " + subnet + " overlap");
      }
      String range = c.path("IPRange").asText("");
      if (!range.isEmpty()) {
        Cidr r;
        try {
          r = Cidr.parse(range);
        } catch (IllegalArgumentException e) {
          throw NetworkException.invalid("invalid ip-range " + range + ": " + e.getMessage());
        }
        if (!subnet.contains(r.network().address()) || r.prefix() < subnet.prefix()) {
          throw NetworkException.invalid("ip-range " + range + " is not within subnet " + subnet);
        }
        range = r.network().toString();
      }
      String gw = c.path("Gateway").asText("");
      InetAddress g;
      if (gw.isEmpty()) {
        g = subnet.nth(1);
      } else {
        try {
          g = Cidr.parseAddress(gw);
        } catch (IllegalArgumentException e) {
          throw NetworkException.invalid("invalid gateway address " + gw);
        }
        if (!subnet.contains(g)) throw NetworkException.invalid("gateway " + gw + " is not within subnet " + subnet);
      }
      if (c.path("AuxiliaryAddresses").size() > 0) throw NetworkException.invalid("auxiliary addresses are not supported");
      out.add(new NetworkConfig.Pool(subnet.toString(), new Cidr(g, 32 * (g.getAddress().length / 4)).addressText(), range.isEmpty() ? null : range));
      taken.add(subnet);
      if (subnet.isIpv4()) have4 = true;
      else have6 = true;
    }
    if (!have4) {
      Cidr s;
      try {
        s = pools.next(taken);
      } catch (IpamException e) {
        throw NetworkException.forbidden(e.getMessage());
      }
      out.add(0, new NetworkConfig.Pool(s.toString(), s.nth(1).getHostAddress(), null));
    }
    if (ipv6 && !have6) throw NetworkException.invalid("network " + name + ": --ipv6 needs an IPv6 --subnet (no default IPv6 pool)");
    return out;
  }

  private String newId() {
    for (;;) {
      byte[] b = new byte[32];
      random.nextBytes(b);
      String id = HexFormat.of().formatHex(b);
      if (!networks.containsKey(id)) return id;
    }
  }

  /** DELETE /networks/{id}: 403 for a predefined one or one with live endpoints. */
  public void remove(String ref) {
    NetworkConfig n = get(ref);
    if (n.predefined()) throw NetworkException.forbidden(n.name() + " is a pre-defined network and cannot be removed");
    synchronized (this) {
      if (!endpoints(n.id()).isEmpty()) {
        throw NetworkException.forbidden("error while removing network: network " + n.name() + " id " + n.id() + " has active endpoints");
      }
      if (firewall != null) {
        try {
          firewall.removeNetwork(n.bridge());
        } catch (RuntimeException e) {
          throw NetworkException.system("error while removing network " + n.name() + ": its packet rules: " + e.getMessage());
        }
      }
      if (driver != null) {
        try {
          driver.removeBridge(n.bridge());
        } catch (RuntimeException e) {
          throw NetworkException.system("error while removing network " + n.name() + ": bridge " + n.bridge() + ": " + e.getMessage());
        }
      }
      networks.remove(n.id());
      ipam4.remove(n.id());
      ipam6.remove(n.id());
      store.delete(n.id());
      store.delete(n.id() + "-v6");
      // stopped containers keep their wish to join it; dockerd's start then fails with not found
      for (Hooks h : hooks) call(() -> h.networkRemoved(n));
    }
  }

  /** POST /networks/prune: user networks without endpoints, filtered; their names. */
  public List<String> prune(java.util.function.Predicate<NetworkConfig> filter) {
    List<String> out = new ArrayList<>();
    for (NetworkConfig n : list()) {
      if (n.predefined() || !filter.test(n) || !endpoints(n.id()).isEmpty()) continue;
      if (sandboxes.values().stream().anyMatch(s -> s.attachments.containsKey(n.id()))) continue; // a container (stopped) uses it
      try {
        remove(n.id());
        out.add(n.name());
      } catch (NetworkException e) {
        // in use meanwhile
      }
    }
    return out;
  }

  // ---- containers ----------------------------------------------------------------------------

  /** The network NetworkMode names: "" and "default" are bridge; host, none and container:… have no endpoints here. */
  public static String modeNetwork(String mode) {
    return mode == null || mode.isEmpty() || mode.equals("default") ? "bridge" : mode;
  }

  static boolean special(String mode) {
    return mode.equals("host") || mode.equals("none") || mode.startsWith("container:");
  }

  /**
   * At container create: the networks of its NetworkMode and NetworkingConfig.EndpointsConfig
   * (aliases, static addresses) checked and recorded. NOT_FOUND for an unknown network.
   */
  public void register(String containerId, String name, String hostname, JsonNode hostConfig, JsonNode networkingConfig) {
    register(containerId, name, hostname, hostConfig, networkingConfig, null);
  }

  /** As above, with Config.ExposedPorts (for -P and NetworkSettings.Ports). */
  public void register(String containerId, String name, String hostname, JsonNode hostConfig, JsonNode networkingConfig,
      JsonNode exposedPorts) {
    String mode = modeNetwork(hostConfig.path("NetworkMode").asText(""));
    JsonNode eps = networkingConfig == null ? null : networkingConfig.get("EndpointsConfig");
    if (special(mode)) {
      if (eps != null && eps.isObject()) {
        for (var e : eps.properties()) {
          if (!e.getKey().equals(mode)) {
            throw NetworkException.invalid("Container cannot be connected to network endpoints: " + mode + ", " + e.getKey());
          }
        }
      }
      return;
    }
    Sandbox s = new Sandbox();
    s.containerId = containerId;
    s.name = strip(name);
    s.hostname = hostname;
    s.portBindings = hostConfig.get("PortBindings");
    s.publishAll = hostConfig.path("PublishAllPorts").asBoolean(false);
    s.exposedPorts = exposedPorts;
    try {
      PortSpec.fromApi(s.portBindings, s.exposedPorts, s.publishAll);
    } catch (IllegalArgumentException e) {
      throw NetworkException.invalid(e.getMessage());
    }
    List<String> order = new ArrayList<>();
    order.add(mode);
    if (eps != null && eps.isObject()) eps.properties().forEach(e -> {
      if (!order.contains(modeNetwork(e.getKey()))) order.add(modeNetwork(e.getKey()));
    });
    for (String net : order) {
      NetworkConfig n = get(net);
      if (s.attachments.containsKey(n.id())) continue; // named by name and by id
      if (!n.bridgeDriver()) {
        throw NetworkException.invalid("container cannot be connected to network " + n.name() + " together with others");
      }
      JsonNode ep = eps == null ? null : eps.get(net);
      if (ep == null && eps != null) {
        for (var e : eps.properties()) if (find(modeNetwork(e.getKey())).map(x -> x.id().equals(n.id())).orElse(false)) ep = e.getValue();
      }
      s.attachments.put(n.id(), attachment(n, ep));
    }
    sandboxes.put(containerId, s);
    save(s);
  }

  private Attachment attachment(NetworkConfig n, JsonNode ep) {
    Attachment a = new Attachment();
    a.networkId = n.id();
    if (ep != null && !ep.isNull()) {
      List<String> aliases = new ArrayList<>();
      ep.path("Aliases").forEach(x -> aliases.add(x.asText()));
      String ip = ep.path("IPAMConfig").path("IPv4Address").asText("");
      String ip6 = ep.path("IPAMConfig").path("IPv6Address").asText("");
      if (n.predefined() && (!ip.isEmpty() || !ip6.isEmpty())) {
        throw NetworkException.invalid("user specified IP address is supported on user defined networks only");
      }
      if (n.predefined() && !aliases.isEmpty()) {
        throw NetworkException.invalid("network-scoped alias is supported only for containers in user defined networks");
      }
      if (!ip.isEmpty()) {
        InetAddress addr;
        try {
          addr = Cidr.parseAddress(ip);
        } catch (IllegalArgumentException e) {
          throw NetworkException.invalid("invalid IPv4 address: " + ip);
        }
        if (n.ipv4().isEmpty() || !n.ipv4().get().subnetCidr().contains(addr)) {
          throw NetworkException.invalid("no configured subnet or ip-range contain the IP address " + ip);
        }
      }
      a.aliases = List.copyOf(aliases);
      a.ipv4 = ip;
      a.ipv6 = ip6;
    }
    return a;
  }

  static String strip(String name) { return name != null && name.startsWith("/") ? name.substring(1) : name; }

  /** The container was renamed: its endpoints' names follow at the next start. */
  public void renamed(String containerId, String name) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) return;
    synchronized (s) {
      s.name = strip(name);
    }
    save(s);
  }

  /** Where the container's namespace is pinned. */
  public Path netnsPath(String containerId) { return netnsDir.resolve(containerId); }

  /**
   * Before a start: the container's namespace pinned and its endpoints attached; returns the
   * namespace path for the OCI config, or null when the container has no bridge networks (host,
   * none). On failure nothing is left and a NetworkException says why.
   */
  public Path setUp(String containerId, String name, String hostname) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) return null;
    synchronized (s) {
      long t0 = System.nanoTime();
      tearDownLocked(s);
      s.name = strip(name);
      s.hostname = hostname;
      Path ns = netnsPath(containerId);
      try {
        NetNs.remove(ns); // a pin an earlier crash left
        NetNs.create(ns);
      } catch (IOException | RuntimeException e) {
        throw NetworkException.system("cannot create the network namespace of " + s.name + ": " + e.getMessage());
      }
      s.netns = ns.toString();
      s.sandboxId = randomHex();
      long t1 = System.nanoTime(), t2 = t1;
      try {
        boolean first = true;
        for (Attachment a : s.attachments.values()) {
          NetworkConfig n = networks.get(a.networkId);
          if (n == null) throw NetworkException.notFound("network " + a.networkId + " not found");
          attachLocked(s, a, n, first);
          first = false;
        }
        t2 = System.nanoTime();
        publishLocked(s);
      } catch (RuntimeException e) {
        tearDownLocked(s);
        save(s);
        if (e instanceof NetworkException) throw e;
        throw NetworkException.system("cannot attach " + s.name + " to its networks: " + e.getMessage());
      }
      save(s);
      if (TRACE) {
        long t3 = System.nanoTime();
        LOG.printf("berthd: net-trace %s netns_us=%d attach_us=%d publish_us=%d total_us=%d%n", containerId.substring(0, 12), (t1 - t0) / 1000,
            (t2 - t1) / 1000, (t3 - t2) / 1000, (t3 - t0) / 1000);
      }
      return ns;
    }
  }

  private void attachLocked(Sandbox s, Attachment a, NetworkConfig n, boolean defaultRoute) {
    if (driver == null) throw NetworkException.system("bridge networks are unavailable (no rtnetlink)");
    if (!driver.bridgeExists(n.bridge())) ensureBridge(n); // e.g. deleted by hand: dockerd recreates it too
    Ipam i4 = ipam4.get(n.id()), i6 = ipam6.get(n.id());
    InetAddress ip4 = null, ip6 = null;
    try {
      if (i4 != null) ip4 = i4.allocate(s.containerId, a.ipv4.isEmpty() ? null : Cidr.parseAddress(a.ipv4));
      if (i6 != null) ip6 = i6.allocate(s.containerId, a.ipv6.isEmpty() ? null : Cidr.parseAddress(a.ipv6));
    } catch (IpamException e) {
      if (i4 != null) i4.releaseOwner(s.containerId);
      throw NetworkException.forbidden(e.getMessage());
    }
    String ifname = freeIfname(s);
    Cidr c4 = ip4 == null ? null : new Cidr(ip4, i4.subnet().prefix());
    Cidr c6 = ip6 == null ? null : new Cidr(ip6, i6.subnet().prefix());
    InetAddress gw4 = n.internal() || i4 == null ? null : i4.gateway();
    InetAddress gw6 = n.internal() || i6 == null ? null : i6.gateway();
    BridgeDriver.Attached at;
    try {
      at = driver.attach(n.bridge(), Path.of(s.netns), ifname, c4, gw4, c6, gw6, defaultRoute, n.mtu(), true);
    } catch (RuntimeException e) {
      if (i4 != null) i4.releaseOwner(s.containerId);
      if (i6 != null) i6.releaseOwner(s.containerId);
      throw NetworkException.system("cannot attach " + s.name + " to network " + n.name() + ": " + e.getMessage());
    }
    List<String> dns = new ArrayList<>();
    if (!n.predefined()) {
      dns.add(s.name);
      for (String al : a.aliases) if (!dns.contains(al)) dns.add(al);
      String shortId = s.containerId.substring(0, 12);
      if (!dns.contains(shortId)) dns.add(shortId);
      if (s.hostname != null && !s.hostname.isEmpty() && !dns.contains(s.hostname)) dns.add(s.hostname);
    }
    a.live = new Endpoint(n.id(), randomHex(), s.containerId, s.name, at.hostVeth(), ifname, c4 == null ? "" : c4.toString(),
        c6 == null ? "" : c6.toString(), i4 == null ? "" : i4.gateway().getHostAddress(), i6 == null ? "" : i6.gateway().getHostAddress(),
        at.macText(), a.aliases, dns, s.netns);
    Endpoint e = a.live;
    for (Hooks h : hooks) call(() -> h.endpointAttached(n, e));
  }

  private static String freeIfname(Sandbox s) {
    for (int i = 0; ; i++) {
      String n = "eth" + i;
      if (s.attachments.values().stream().noneMatch(a -> a.live != null && a.live.ifname().equals(n))) return n;
    }
  }

  private void detachLocked(Sandbox s, Attachment a) {
    Endpoint e = a.live;
    if (e == null) return;
    NetworkConfig n = networks.get(a.networkId);
    try {
      if (driver != null) driver.detach(e.hostVeth());
    } catch (RuntimeException ex) {
      LOG.println("berthd: cannot delete veth " + e.hostVeth() + " of " + s.name + ": " + ex.getMessage());
    }
    Ipam i4 = ipam4.get(a.networkId), i6 = ipam6.get(a.networkId);
    if (i4 != null) i4.releaseOwner(s.containerId);
    if (i6 != null) i6.releaseOwner(s.containerId);
    a.live = null;
    if (n != null) for (Hooks h : hooks) call(() -> h.endpointDetached(n, e));
  }

  /** -p/-P: host ports booked and DNAT map elements added for the first network's addresses. */
  private void publishLocked(Sandbox s) {
    List<PortSpec> specs;
    try {
      specs = PortSpec.fromApi(s.portBindings, s.exposedPorts, s.publishAll);
    } catch (IllegalArgumentException e) {
      throw NetworkException.invalid(e.getMessage());
    }
    if (specs.isEmpty()) return;
    if (firewall == null) throw NetworkException.system("cannot publish ports of " + s.name + ": no nftables table (see berthd's log)");
    Endpoint first = s.attachments.values().stream().map(a -> a.live).filter(e -> e != null).findFirst().orElse(null);
    if (first == null) throw NetworkException.invalid("cannot publish ports of " + s.name + ": it has no network endpoint");
    InetAddress v4 = first.ipv4().isEmpty() ? null : Cidr.parseAddress(first.ipv4Address());
    InetAddress v6 = first.ipv6().isEmpty() ? null : Cidr.parseAddress(first.ipv6Address());
    List<PortMapping> maps;
    try {
      maps = ports.allocate(s.containerId, specs, v4, v6);
      firewall.publish(s.containerId, maps);
    } catch (PortAllocationException e) {
      ports.release(s.containerId);
      throw NetworkException.system("driver failed programming external connectivity on endpoint " + s.name + ": " + e.getMessage());
    } catch (RuntimeException e) {
      ports.release(s.containerId);
      throw NetworkException.system("cannot publish the ports of " + s.name + ": " + e.getMessage());
    }
  }

  /** The container's published ports (NetworkSettings.Ports's source). */
  public List<PortMapping> published(String containerId) { return ports.allocated(containerId); }

  /** GET /containers/json's Ports: [{IP, PrivatePort, PublicPort, Type}]. */
  public ArrayNode portsSummary(String containerId) {
    ArrayNode out = M.createArrayNode();
    for (PortMapping m : ports.allocated(containerId)) {
      ObjectNode o = out.addObject();
      o.put("IP", m.hostIpText());
      o.put("PrivatePort", m.containerPort());
      o.put("PublicPort", m.hostPort());
      o.put("Type", m.proto().text());
    }
    return out;
  }

  private void tearDownLocked(Sandbox s) {
    if (!ports.allocated(s.containerId).isEmpty() || firewall != null) {
      try {
        if (firewall != null) firewall.unpublish(s.containerId);
      } catch (RuntimeException e) {
        LOG.println("berthd: cannot remove the published ports of " + s.name + ": " + e.getMessage());
      }
      ports.release(s.containerId);
    }
    for (Attachment a : s.attachments.values()) detachLocked(s, a);
    if (!s.netns.isEmpty()) {
      try {
        NetNs.remove(Path.of(s.netns));
      } catch (RuntimeException e) {
        LOG.println("berthd: cannot remove network namespace " + s.netns + ": " + e.getMessage());
      }
      s.netns = "";
    }
    s.sandboxId = "";
  }

  /** The container stopped (or could not start): endpoints detached, addresses released, namespace removed. Idempotent. */
  public void tearDown(String containerId) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) {
      NetNs.remove(netnsPath(containerId));
      return;
    }
    synchronized (s) {
      boolean had = !s.netns.isEmpty() || s.attachments.values().stream().anyMatch(a -> a.live != null);
      tearDownLocked(s);
      if (had) save(s);
    }
  }

  /** The container is removed: torn down and forgotten. */
  public void forget(String containerId) {
    tearDown(containerId);
    Sandbox s = sandboxes.remove(containerId);
    if (s != null) {
      for (Ipam i : ipam4.values()) i.releaseOwner(containerId);
      for (Ipam i : ipam6.values()) i.releaseOwner(containerId);
    }
    store.deleteEndpoints(containerId);
  }

  /** At berthd start, after the engine loaded its containers: endpoints of containers that do not run (or exist) are torn down. */
  public void reconcile(Set<String> existing, Set<String> running) {
    for (String id : List.copyOf(sandboxes.keySet())) {
      if (!existing.contains(id)) forget(id);
      else if (!running.contains(id)) tearDown(id);
    }
    // addresses are held only while a container runs: an owner that does not run (a crash between
    // allocate and the endpoint record, a record lost) gets its addresses back here
    for (Ipam i : List.copyOf(ipam4.values())) releaseNotRunning(i, running);
    for (Ipam i : List.copyOf(ipam6.values())) releaseNotRunning(i, running);
    if (firewall != null) {
      try {
        Set<String> bridges = new java.util.HashSet<>();
        for (NetworkConfig n : networks.values()) if (n.bridgeDriver()) bridges.add(n.bridge());
        for (String gone : firewall.reconcile(bridges, running)) LOG.println("berthd: removed stale packet rules of " + gone);
        for (var e : firewall.published().entrySet()) {
          try {
            ports.reserve(e.getKey(), e.getValue());
          } catch (RuntimeException ex) {
            LOG.println("berthd: cannot re-book the published ports of " + e.getKey() + ": " + ex.getMessage());
          }
        }
      } catch (RuntimeException e) {
        LOG.println("berthd: cannot reconcile the packet rules: " + e.getMessage());
      }
    }
    try (var ds = Files.newDirectoryStream(netnsDir)) {
      for (Path p : ds) {
        if (!running.contains(p.getFileName().toString())) NetNs.remove(p);
      }
    } catch (IOException e) {
      LOG.println("berthd: cannot list " + netnsDir + ": " + e.getMessage());
    }
  }

  private static void releaseNotRunning(Ipam i, Set<String> running) {
    for (String owner : Set.copyOf(i.allocations().values())) {
      if (running.contains(owner)) continue;
      i.releaseOwner(owner);
      LOG.println("berthd: released the addresses " + i.subnet() + " held for " + owner + ", which does not run");
    }
  }

  /** One interface's counters as the container sees them (Docker's NetworkStats). */
  public record IfCounters(long rxBytes, long rxPackets, long rxErrors, long rxDropped, long txBytes, long txPackets, long txErrors,
      long txDropped) {}

  /**
   * The counters of each of the container's interfaces (eth0, eth1, …), read from the host side of
   * its veth pairs ({@code /sys/class/net/<veth>/statistics}) with receive and transmit swapped: what
   * the host end sends, the container receives. Empty when it has no live endpoint.
   */
  public Map<String, IfCounters> interfaceCounters(String containerId) {
    Map<String, IfCounters> out = new java.util.TreeMap<>();
    for (Endpoint e : endpointsOf(containerId)) {
      Path st = Path.of("/sys/class/net", e.hostVeth(), "statistics");
      try {
        out.put(e.ifname(), new IfCounters(stat(st, "tx_bytes"), stat(st, "tx_packets"), stat(st, "tx_errors"), stat(st, "tx_dropped"),
            stat(st, "rx_bytes"), stat(st, "rx_packets"), stat(st, "rx_errors"), stat(st, "rx_dropped")));
      } catch (IOException | RuntimeException ex) {
        // the endpoint went meanwhile
      }
    }
    return out;
  }

  private static long stat(Path dir, String name) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve(name)).strip());
  }

  /** POST /networks/{id}/connect: recorded; attached now if the container runs. */
  public void connect(String networkRef, String containerRef, JsonNode endpointConfig) {
    NetworkConfig n = get(networkRef);
    Containers cs = containers;
    if (cs == null) throw NetworkException.system("no containers");
    ContainerRef c = cs.find(containerRef);
    if (!n.bridgeDriver()) {
      throw NetworkException.forbidden("container cannot be disconnected from host network or connected to host network");
    }
    Sandbox s = sandboxes.get(c.id());
    if (s == null) {
      throw NetworkException.invalid("container " + c.name() + " has a host, none or container network mode and cannot be connected to " + n.name());
    }
    synchronized (s) {
      if (s.attachments.containsKey(n.id())) {
        throw NetworkException.forbidden("endpoint with name " + strip(c.name()) + " already exists in network " + n.name());
      }
      Attachment a = attachment(n, endpointConfig);
      s.attachments.put(n.id(), a);
      if (c.running() && !s.netns.isEmpty()) {
        try {
          attachLocked(s, a, n, false);
        } catch (RuntimeException e) {
          s.attachments.remove(n.id());
          save(s);
          throw e;
        }
      }
      save(s);
    }
  }

  /** POST /networks/{id}/disconnect. */
  public void disconnect(String networkRef, String containerRef, boolean force) {
    NetworkConfig n = get(networkRef);
    Containers cs = containers;
    if (cs == null) throw NetworkException.system("no containers");
    ContainerRef c = cs.find(containerRef);
    if (!n.bridgeDriver()) throw NetworkException.forbidden("container cannot be disconnected from host network or connected to host network");
    Sandbox s = sandboxes.get(c.id());
    if (s == null || !s.attachments.containsKey(n.id())) {
      throw NetworkException.forbidden("container " + c.id() + " is not connected to network " + n.name());
    }
    synchronized (s) {
      Attachment a = s.attachments.remove(n.id());
      if (a != null) detachLocked(s, a);
      save(s);
    }
  }

  /** The network names (in attach order) a container is on, or its special mode. */
  public List<String> networkNames(String containerId, String mode) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) return List.of(modeNetwork(mode));
    synchronized (s) {
      List<String> out = new ArrayList<>();
      for (String id : s.attachments.keySet()) {
        NetworkConfig n = networks.get(id);
        if (n != null) out.add(n.name());
      }
      return out;
    }
  }

  /** The addresses for the container's /etc/hosts (its IPv4 and IPv6 on each live endpoint). */
  public List<String> addresses(String containerId) {
    List<String> out = new ArrayList<>();
    for (Endpoint e : endpointsOf(containerId)) {
      if (!e.ipv4().isEmpty()) out.add(e.ipv4Address());
    }
    for (Endpoint e : endpointsOf(containerId)) {
      if (!e.ipv6().isEmpty()) out.add(e.ipv6Address());
    }
    return out;
  }

  /** Whether the container is on at least one user-defined network (the embedded DNS serves it). */
  public boolean onUserNetwork(String containerId) {
    Sandbox s = sandboxes.get(containerId);
    if (s == null) return false;
    synchronized (s) {
      return s.attachments.keySet().stream().map(networks::get).anyMatch(n -> n != null && !n.predefined());
    }
  }

  // ---- inspect ---------------------------------------------------------------------------------

  /** moby's Network (GET /networks/{id}); list entries have an empty Containers. */
  public ObjectNode inspect(NetworkConfig n, boolean withContainers) {
    ObjectNode o = M.createObjectNode();
    o.put("Name", n.name());
    o.put("Id", n.id());
    o.put("Created", n.created());
    o.put("Scope", "local");
    o.put("Driver", n.driver());
    o.put("EnableIPv4", n.enableIPv4());
    o.put("EnableIPv6", n.enableIPv6());
    ObjectNode ipam = o.putObject("IPAM");
    ipam.put("Driver", "default");
    if (n.predefined() || n.ipam().isEmpty()) ipam.putNull("Options");
    else ipam.putObject("Options");
    ArrayNode cfg = ipam.putArray("Config");
    for (NetworkConfig.Pool p : n.ipam()) {
      ObjectNode c = cfg.addObject();
      c.put("Subnet", p.subnet());
      if (p.ipRange() != null && !p.ipRange().isEmpty()) c.put("IPRange", p.ipRange());
      c.put("Gateway", p.gateway());
    }
    o.put("Internal", n.internal());
    o.put("Attachable", n.attachable());
    o.put("Ingress", false);
    o.putObject("ConfigFrom").put("Network", "");
    o.put("ConfigOnly", false);
    ObjectNode cs = o.putObject("Containers");
    if (withContainers) {
      for (Endpoint e : endpoints(n.id())) {
        ObjectNode c = cs.putObject(e.containerId());
        c.put("Name", e.containerName());
        c.put("EndpointID", e.endpointId());
        c.put("MacAddress", e.mac());
        c.put("IPv4Address", e.ipv4());
        c.put("IPv6Address", e.ipv6());
      }
    }
    ObjectNode opts = o.putObject("Options");
    n.options().forEach(opts::put);
    ObjectNode labels = o.putObject("Labels");
    n.labels().forEach(labels::put);
    return o;
  }

  /**
   * NetworkSettings of container inspect (API 1.50): the Networks map (one EndpointSettings per
   * network, addresses while it runs), and the deprecated top-level address fields for the default
   * bridge.
   */
  public ObjectNode networkSettings(String containerId, String mode) {
    ObjectNode ns = M.createObjectNode();
    Sandbox s = sandboxes.get(containerId);
    ns.put("Bridge", "");
    ns.put("SandboxID", s == null ? "" : s.sandboxId);
    ns.put("SandboxKey", s == null ? "" : s.netns);
    if (s != null && !s.netns.isEmpty()) ns.set("Ports", PortsView.inspectPorts(ports.allocated(containerId), s.exposedPorts));
    else ns.putObject("Ports");
    ns.put("HairpinMode", false);
    ns.put("LinkLocalIPv6Address", "");
    ns.put("LinkLocalIPv6PrefixLen", 0);
    ns.putNull("SecondaryIPAddresses");
    ns.putNull("SecondaryIPv6Addresses");
    Endpoint def = null;
    ObjectNode nets = M.createObjectNode();
    if (s == null) {
      String name = modeNetwork(mode);
      nets.set(name, endpointSettings(find(name).orElse(null), null, null));
    } else {
      synchronized (s) {
        for (Attachment a : s.attachments.values()) {
          NetworkConfig n = networks.get(a.networkId);
          if (n == null) continue;
          nets.set(n.name(), endpointSettings(n, a, a.live));
          if (n.name().equals("bridge")) def = a.live;
        }
      }
    }
    ns.put("EndpointID", def == null ? "" : def.endpointId());
    ns.put("Gateway", def == null ? "" : def.gateway());
    ns.put("GlobalIPv6Address", def == null ? "" : def.ipv6Address());
    ns.put("GlobalIPv6PrefixLen", def == null ? 0 : def.ipv6Prefix());
    ns.put("IPAddress", def == null ? "" : def.ipv4Address());
    ns.put("IPPrefixLen", def == null ? 0 : def.ipv4Prefix());
    ns.put("IPv6Gateway", def == null ? "" : def.gateway6());
    ns.put("MacAddress", def == null ? "" : def.mac());
    ns.set("Networks", nets);
    return ns;
  }

  private ObjectNode endpointSettings(NetworkConfig n, Attachment a, Endpoint e) {
    ObjectNode ep = M.createObjectNode();
    if (a != null && (!a.ipv4.isEmpty() || !a.ipv6.isEmpty())) {
      ObjectNode ic = ep.putObject("IPAMConfig");
      if (!a.ipv4.isEmpty()) ic.put("IPv4Address", a.ipv4);
      if (!a.ipv6.isEmpty()) ic.put("IPv6Address", a.ipv6);
    } else {
      ep.putNull("IPAMConfig");
    }
    ep.putNull("Links");
    if (a == null || a.aliases.isEmpty()) ep.putNull("Aliases");
    else a.aliases.forEach(ep.withArray("Aliases")::add);
    ep.put("MacAddress", e == null ? "" : e.mac());
    ep.putNull("DriverOpts");
    ep.put("GwPriority", 0);
    ep.put("NetworkID", n == null ? "" : n.id());
    ep.put("EndpointID", e == null ? "" : e.endpointId());
    ep.put("Gateway", e == null ? "" : e.gateway());
    ep.put("IPAddress", e == null ? "" : e.ipv4Address());
    ep.put("IPPrefixLen", e == null ? 0 : e.ipv4Prefix());
    ep.put("IPv6Gateway", e == null ? "" : e.gateway6());
    ep.put("GlobalIPv6Address", e == null ? "" : e.ipv6Address());
    ep.put("GlobalIPv6PrefixLen", e == null ? 0 : e.ipv6Prefix());
    if (e == null || e.dnsNames().isEmpty()) ep.putNull("DNSNames");
    else e.dnsNames().forEach(ep.withArray("DNSNames")::add);
    return ep;
  }

  // ---- the API's view (JSON only: berth-api never sees berth-network's types) --------------------

  /** GET /networks with dockerd's filters. */
  public ArrayNode listJson(Map<String, List<String>> filters) {
    ArrayNode out = M.createArrayNode();
    for (NetworkConfig n : list()) {
      if (NetworkFilters.list(n, endpoints(n.id()).isEmpty(), filters)) out.add(inspect(n, false));
    }
    return out;
  }

  /** GET /networks/{id}. */
  public ObjectNode inspectJson(String ref) { return inspect(get(ref), true); }

  /** DELETE /networks/{id}: the removed network's id, name and driver (for the event). */
  public List<String> removeRef(String ref) {
    NetworkConfig n = get(ref);
    remove(n.id());
    return List.of(n.id(), n.name(), n.driver());
  }

  /** POST /networks/prune with filters label, label!, until. */
  public List<String> prune(Map<String, List<String>> filters) {
    NetworkFilters.checkPrune(filters);
    return prune(n -> NetworkFilters.prune(n, filters));
  }

  /** POST /networks/create: the created network's id, name, driver (for the event) and warning. */
  public List<String> createJson(JsonNode req) {
    Created c = create(req);
    NetworkConfig n = networks.get(c.id());
    return List.of(c.id(), n.name(), n.driver(), c.warning());
  }

  /** id and name of a network (for events). */
  public List<String> idAndName(String ref) {
    NetworkConfig n = get(ref);
    return List.of(n.id(), n.name(), n.driver());
  }

  // ---- persistence -----------------------------------------------------------------------------

  private void save(Sandbox s) {
    ObjectNode o = M.createObjectNode();
    o.put("ContainerID", s.containerId);
    o.put("Name", s.name);
    o.put("Hostname", s.hostname);
    o.put("SandboxID", s.sandboxId);
    o.put("Netns", s.netns);
    if (s.portBindings != null) o.set("PortBindings", s.portBindings);
    if (s.exposedPorts != null) o.set("ExposedPorts", s.exposedPorts);
    o.put("PublishAllPorts", s.publishAll);
    ArrayNode arr = o.putArray("Attachments");
    for (Attachment a : s.attachments.values()) {
      ObjectNode x = arr.addObject();
      x.put("NetworkID", a.networkId);
      a.aliases.forEach(x.putArray("Aliases")::add);
      x.put("IPv4", a.ipv4);
      x.put("IPv6", a.ipv6);
      if (a.live != null) x.set("Endpoint", M.valueToTree(a.live));
    }
    store.saveEndpoints(s.containerId, o);
  }

  private Sandbox fromJson(JsonNode o) {
    Sandbox s = new Sandbox();
    s.containerId = o.path("ContainerID").asText();
    s.name = o.path("Name").asText();
    s.hostname = o.path("Hostname").asText();
    s.sandboxId = o.path("SandboxID").asText("");
    s.netns = o.path("Netns").asText("");
    s.portBindings = o.get("PortBindings");
    s.exposedPorts = o.get("ExposedPorts");
    s.publishAll = o.path("PublishAllPorts").asBoolean(false);
    for (JsonNode x : o.path("Attachments")) {
      Attachment a = new Attachment();
      a.networkId = x.path("NetworkID").asText();
      List<String> al = new ArrayList<>();
      x.path("Aliases").forEach(v -> al.add(v.asText()));
      a.aliases = List.copyOf(al);
      a.ipv4 = x.path("IPv4").asText("");
      a.ipv6 = x.path("IPv6").asText("");
      if (x.hasNonNull("Endpoint")) {
        try {
          a.live = M.treeToValue(x.get("Endpoint"), Endpoint.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException(e.getMessage(), e);
        }
      }
      s.attachments.put(a.networkId, a);
    }
    return s;
  }

  private String randomHex() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void call(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.println("berthd: network hook failed: " + e);
    }
  }

  @Override
  public void close() {
    if (dns != null) dns.close();
    ports.close();
    if (firewall != null) firewall.close();
    if (driver != null) driver.close();
  }
}
