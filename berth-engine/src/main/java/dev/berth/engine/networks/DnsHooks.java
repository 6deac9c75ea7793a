package dev.berth.engine.networks;

import dev.berth.network.Cidr;
import dev.berth.network.NetworkConfig;
import dev.berth.network.dns.EmbeddedDns;
import dev.berth.network.dns.Resolver;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Docker's embedded DNS for user networks: once a container has an endpoint on a user-defined
 * network, berth-network's {@link EmbeddedDns} (one server, one thread for all) serves
 * 127.0.0.11:53 inside its namespace; it stops when the container's last user-network endpoint
 * goes (before the namespace is removed). Names are those of the endpoints on the networks the
 * asking container shares with them: container name, aliases, short id ({@link Endpoint#dnsNames}),
 * also as {@code NAME.NETWORK}; the default bridge has none, as in Docker. Nothing is forwarded
 * outside (no upstream): an unknown name is REFUSED.
 */
final class DnsHooks implements NetworkService.Hooks, Resolver {
  private final NetworkService networks;
  private EmbeddedDns server;
  private final Map<String, AutoCloseable> served = new ConcurrentHashMap<>();

  DnsHooks(NetworkService networks) {
    this.networks = networks;
  }

  private synchronized EmbeddedDns server() throws IOException {
    if (server == null) server = new EmbeddedDns(List.of(), Duration.ofSeconds(2));
    return server;
  }

  @Override
  public void endpointAttached(NetworkConfig n, Endpoint e) {
    if (n.predefined() || served.containsKey(e.containerId())) return;
    try {
      served.put(e.containerId(), server().serve(Path.of(e.netns()), e.containerId(), this));
    } catch (IOException | RuntimeException ex) {
      System.err.println("berthd: cannot serve DNS to " + e.containerName() + ": " + ex.getMessage());
    }
  }

  @Override
  public void endpointDetached(NetworkConfig n, Endpoint e) {
    boolean still = networks.endpointsOf(e.containerId()).stream()
        .anyMatch(x -> networks.find(x.networkId()).map(m -> !m.predefined()).orElse(false));
    if (still) return;
    AutoCloseable h = served.remove(e.containerId());
    if (h != null) {
      try {
        h.close();
      } catch (Exception ex) {
        System.err.println("berthd: cannot stop serving DNS to " + e.containerName() + ": " + ex.getMessage());
      }
    }
  }

  /** The user networks the container is on (live endpoints). */
  private Set<String> userNetworks(String containerId) {
    Set<String> out = new HashSet<>();
    for (Endpoint e : networks.endpointsOf(containerId)) {
      networks.find(e.networkId()).filter(n -> !n.predefined()).ifPresent(n -> out.add(n.id()));
    }
    return out;
  }

  @Override
  public List<InetAddress> lookup(String containerId, String name) {
    String q = name.toLowerCase(Locale.ROOT);
    List<InetAddress> out = new ArrayList<>();
    for (String netId : userNetworks(containerId)) {
      String netName = networks.find(netId).map(NetworkConfig::name).orElse("").toLowerCase(Locale.ROOT);
      for (Endpoint e : networks.endpoints(netId)) {
        boolean match = false;
        for (String dn : e.dnsNames()) {
          String d = dn.toLowerCase(Locale.ROOT);
          if (q.equals(d) || q.equals(d + "." + netName)) match = true;
        }
        if (!match) continue;
        if (!e.ipv4().isEmpty()) add(out, e.ipv4Address());
        if (!e.ipv6().isEmpty()) add(out, e.ipv6Address());
      }
    }
    return out;
  }

  private static void add(List<InetAddress> out, String a) {
    InetAddress x = Cidr.parseAddress(a);
    if (!out.contains(x)) out.add(x);
  }

  @Override
  public Optional<String> reverse(String containerId, InetAddress address) {
    for (String netId : userNetworks(containerId)) {
      String netName = networks.find(netId).map(NetworkConfig::name).orElse("");
      for (Endpoint e : networks.endpoints(netId)) {
        if (address.getHostAddress().equals(e.ipv4Address()) || (!e.ipv6().isEmpty() && address.equals(Cidr.parseAddress(e.ipv6Address())))) {
          return Optional.of(e.containerName() + "." + netName);
        }
      }
    }
    return Optional.empty();
  }

  synchronized void close() {
    for (AutoCloseable h : served.values()) {
      try {
        h.close();
      } catch (Exception ignored) {
        // shutting down
      }
    }
    served.clear();
    if (server != null) server.close();
  }
}
