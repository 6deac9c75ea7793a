package dev.berth.network.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * What berth knows about names, as the container asking sees them: the containers, their names
 * and aliases on the networks it is connected to. The embedded DNS server asks it before
 * forwarding anything.
 *
 * <p>Both methods are called on the server's one thread for every query of every container: they
 * must answer from memory, quickly, and never block. Names arrive lower case and without the
 * trailing dot ({@code "web"}, {@code "db.mynet"}); the implementation compares them so too.
 */
public interface Resolver {
  /**
   * The addresses {@code name} has for the container {@code containerId} (IPv4 and IPv6 mixed; the
   * server answers A with the IPv4 ones and AAAA with the IPv6 ones). Empty: berth does not know
   * the name there, and the query is forwarded to the upstream resolvers.
   */
  List<InetAddress> lookup(String containerId, String name);

  /**
   * The name a PTR query of {@code address} gets for {@code containerId} (e.g.
   * {@code "web.mynet"}), or empty to forward the query.
   */
  default Optional<String> reverse(String containerId, InetAddress address) {
    return Optional.empty();
  }

  /** Knows no name: every query is forwarded. */
  Resolver NONE = (id, name) -> List.of();
}
