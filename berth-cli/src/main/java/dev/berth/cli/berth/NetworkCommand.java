package dev.berth.cli.berth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.cli.berth.BerthdClient.Refused;
import dev.berth.cli.berth.BerthdClient.Response;
import dev.berth.image.api.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth network ls|create|inspect|rm|connect|disconnect|prune}: berthd's networks (issue
 * 11) over its unix socket, with docker's flags and output. Each subcommand maps its arguments to
 * requests ({@link Call}: method, path, JSON body) — the part {@code NetworkCommandTest} checks —
 * and prints berthd's answers; berthd's refusals are {@code berth: MESSAGE}, exit 3 for 404 and 1
 * otherwise.
 */
@Command(name = "network", description = "berthd's networks, as docker network: ls, create, inspect, rm, connect, disconnect, prune.",
        subcommands = {NetworkCommand.Ls.class, NetworkCommand.Create.class, NetworkCommand.Inspect.class, NetworkCommand.Rm.class,
                NetworkCommand.Connect.class, NetworkCommand.Disconnect.class, NetworkCommand.Prune.class, CommandLine.HelpCommand.class})
final class NetworkCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: network ls, create, inspect, rm, connect, disconnect or prune (try berth network --help)");
    }

    /** One request to berthd: method, path (with its query), JSON body or null. */
    record Call(String method, String path, JsonNode body) {}

    /** What every subcommand shares: the socket option, sending a {@link Call}, errors as berth: MESSAGE. */
    abstract static class Sub implements Callable<Integer> {
        @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH", description = "berthd's socket (default $BERTHD_HOST or unix:///run/berth/berth.sock)")
        String host;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        Path sock;

        PrintWriter out() { return spec.commandLine().getOut(); }

        PrintWriter err() { return spec.commandLine().getErr(); }

        /** Sends {@code c}; returns berthd's answer when it is {@code want}, else throws {@link Refused}. */
        Response send(Call c, int want) throws IOException {
            Response r;
            try {
                r = BerthdClient.request(sock, c.method(), c.path(), c.body() == null ? null : Json.MAPPER.writeValueAsBytes(c.body()));
            } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
                throw new Refused(-1, "cannot connect to berthd at " + sock + " (is berthd running? -H unix:///PATH or $BERTHD_HOST)");
            }
            if (r.status() != want) throw BerthdClient.refused(r);
            return r;
        }

        @Override public final Integer call() throws Exception {
            sock = BerthdClient.socket(host);
            try {
                return exec();
            } catch (Refused e) {
                out().flush();
                err().println("berth: " + e.getMessage());
                err().flush();
                return e.status == 404 ? 3 : 1;
            }
        }

        abstract int exec() throws IOException;
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    /** docker's --filter k=v list as the API's filters JSON ({"k": ["v", ...]}). */
    static String filters(List<String> f) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String kv : f) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("bad format of filter (expected name=value): " + kv);
            m.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>()).add(kv.substring(eq + 1));
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        m.forEach((k, v) -> { ArrayNode a = o.putArray(k); v.forEach(a::add); });
        return o.toString();
    }

    @Command(name = "ls", aliases = "list", description = "List networks (NETWORK ID, NAME, DRIVER, SCOPE).")
    static final class Ls extends Sub {
        @Option(names = {"-q", "--quiet"}, description = "only the IDs") boolean quiet;
        @Option(names = "--no-trunc", description = "full IDs") boolean noTrunc;
        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE", description = "driver, id, label, name, scope, type, dangling") List<String> filter = new ArrayList<>();

        Call request() {
            return new Call("GET", "/networks" + (filter.isEmpty() ? "" : "?filters=" + enc(filters(filter))), null);
        }

        @Override int exec() throws IOException {
            JsonNode list = Json.MAPPER.readTree(send(request(), 200).body());
            List<String[]> rows = new ArrayList<>();
            for (JsonNode n : list) {
                String id = n.path("Id").asText();
                if (!noTrunc && id.length() > 12) id = id.substring(0, 12);
                rows.add(new String[] {id, n.path("Name").asText(), n.path("Driver").asText(), n.path("Scope").asText()});
            }
            rows.sort((a, b) -> a[1].compareTo(b[1]));
            if (quiet) {
                rows.forEach(r -> out().println(r[0]));
            } else {
                rows.addFirst(new String[] {"NETWORK ID", "NAME", "DRIVER", "SCOPE"});
                int[] w = new int[4];
                for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
                for (String[] r : rows) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 3; i++) sb.append(r[i]).append(" ".repeat(w[i] - r[i].length() + 3));
                    out().println(sb.append(r[3]));
                }
            }
            return 0;
        }
    }

    @Command(name = "create", description = "Create a bridge network; prints its ID.")
    static final class Create extends Sub {
        @Option(names = {"-d", "--driver"}, defaultValue = "bridge", description = "driver (bridge)") String driver;
        @Option(names = "--subnet", paramLabel = "CIDR", description = "subnet (repeatable: IPv4 and IPv6)") List<String> subnets = new ArrayList<>();
        @Option(names = "--gateway", paramLabel = "IP", description = "gateway of the subnet at the same position") List<String> gateways = new ArrayList<>();
        @Option(names = "--ip-range", paramLabel = "CIDR", description = "addresses handed out, within the subnet at the same position") List<String> ranges = new ArrayList<>();
        @Option(names = "--internal", description = "no way out of the network") boolean internal;
        @Option(names = "--ipv6", description = "IPv6 too") boolean ipv6;
        @Option(names = "--label", paramLabel = "KEY=VALUE") List<String> labels = new ArrayList<>();
        @Option(names = {"-o", "--opt"}, paramLabel = "KEY=VALUE", description = "driver options") List<String> opts = new ArrayList<>();
        @Parameters(index = "0", paramLabel = "NETWORK") String name;

        Call request() {
            if (gateways.size() > subnets.size()) throw new IllegalArgumentException("every --gateway needs a --subnet (" + gateways.size() + " gateways, " + subnets.size() + " subnets)");
            if (ranges.size() > subnets.size()) throw new IllegalArgumentException("every --ip-range needs a --subnet (" + ranges.size() + " ranges, " + subnets.size() + " subnets)");
            ObjectNode b = Json.MAPPER.createObjectNode();
            b.put("Name", name).put("CheckDuplicate", true).put("Driver", driver).put("Internal", internal).put("EnableIPv6", ipv6);
            ObjectNode ipam = b.putObject("IPAM");
            ipam.put("Driver", "default");
            ArrayNode cfg = ipam.putArray("Config");
            for (int i = 0; i < subnets.size(); i++) {
                ObjectNode c = cfg.addObject().put("Subnet", subnets.get(i));
                if (i < ranges.size()) c.put("IPRange", ranges.get(i));
                if (i < gateways.size()) c.put("Gateway", gateways.get(i));
            }
            b.set("Options", keyValues(opts, "--opt"));
            b.set("Labels", keyValues(labels, "--label"));
            return new Call("POST", "/networks/create", b);
        }

        @Override int exec() throws IOException {
            JsonNode r = Json.MAPPER.readTree(send(request(), 201).body());
            String warning = r.path("Warning").asText("");
            if (!warning.isEmpty()) err().println("WARNING: " + warning);
            out().println(r.path("Id").asText());
            return 0;
        }
    }

    static ObjectNode keyValues(List<String> kvs, String option) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        for (String kv : kvs) {
            int eq = kv.indexOf('=');
            if (eq == 0) throw new IllegalArgumentException(option + " " + kv + ": no key");
            if (eq < 0) o.put(kv, "");
            else o.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return o;
    }

    @Command(name = "inspect", description = "Networks' details as JSON.")
    static final class Inspect extends Sub {
        @Parameters(arity = "1..*", paramLabel = "NETWORK") List<String> names;

        List<Call> requests() { return names.stream().map(n -> new Call("GET", "/networks/" + enc(n), null)).toList(); }

        @Override int exec() throws IOException {
            ArrayNode all = Json.MAPPER.createArrayNode();
            Refused last = null;
            for (Call c : requests()) {
                try {
                    all.add(Json.MAPPER.readTree(send(c, 200).body()));
                } catch (Refused e) {
                    if (e.status < 0) throw e;
                    err().println("berth: " + e.getMessage());
                    last = e;
                }
            }
            out().println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            return last == null ? 0 : last.status == 404 ? 3 : 1;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove networks; prints each name removed.")
    static final class Rm extends Sub {
        @Option(names = {"-f", "--force"}, description = "no error when a network does not exist") boolean force;
        @Parameters(arity = "1..*", paramLabel = "NETWORK") List<String> names;

        List<Call> requests() { return names.stream().map(n -> new Call("DELETE", "/networks/" + enc(n), null)).toList(); }

        @Override int exec() throws IOException {
            int code = 0;
            for (int i = 0; i < names.size(); i++) {
                try {
                    send(requests().get(i), 204);
                    out().println(names.get(i));
                } catch (Refused e) {
                    if (e.status < 0) throw e;
                    if (force && e.status == 404) continue;
                    err().println("berth: " + e.getMessage());
                    code = Math.max(code, e.status == 404 ? 3 : 1);
                }
            }
            return code;
        }
    }

    @Command(name = "connect", description = "Connect a container to a network.")
    static final class Connect extends Sub {
        @Option(names = "--alias", paramLabel = "NAME", description = "name of the container on this network (repeatable)") List<String> aliases = new ArrayList<>();
        @Option(names = "--ip", paramLabel = "IPV4") String ip;
        @Option(names = "--ip6", paramLabel = "IPV6") String ip6;
        @Parameters(index = "0", paramLabel = "NETWORK") String network;
        @Parameters(index = "1", paramLabel = "CONTAINER") String container;

        Call request() {
            ObjectNode b = Json.MAPPER.createObjectNode();
            b.put("Container", container);
            ObjectNode ep = b.putObject("EndpointConfig");
            if (!aliases.isEmpty()) { ArrayNode a = ep.putArray("Aliases"); aliases.forEach(a::add); }
            if (ip != null || ip6 != null) {
                ObjectNode ipam = ep.putObject("IPAMConfig");
                if (ip != null) ipam.put("IPv4Address", ip);
                if (ip6 != null) ipam.put("IPv6Address", ip6);
            }
            return new Call("POST", "/networks/" + enc(network) + "/connect", b);
        }

        @Override int exec() throws IOException {
            send(request(), 200);
            return 0;
        }
    }

    @Command(name = "disconnect", description = "Disconnect a container from a network.")
    static final class Disconnect extends Sub {
        @Option(names = {"-f", "--force"}, description = "even when the container is not running as berthd thinks") boolean force;
        @Parameters(index = "0", paramLabel = "NETWORK") String network;
        @Parameters(index = "1", paramLabel = "CONTAINER") String container;

        Call request() {
            ObjectNode b = Json.MAPPER.createObjectNode();
            b.put("Container", container).put("Force", force);
            return new Call("POST", "/networks/" + enc(network) + "/disconnect", b);
        }

        @Override int exec() throws IOException {
            send(request(), 200);
            return 0;
        }
    }

    @Command(name = "prune", description = "Remove the user networks no container uses.")
    static final class Prune extends Sub {
        @Option(names = {"-f", "--force"}, description = "do not ask") boolean force;
        @Option(names = "--filter", paramLabel = "KEY=VALUE", description = "label, until") List<String> filter = new ArrayList<>();

        Call request() {
            return new Call("POST", "/networks/prune" + (filter.isEmpty() ? "" : "?filters=" + enc(filters(filter))), null);
        }

        @Override int exec() throws IOException {
            if (!force) {
                out().print("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
                out().flush();
                String a = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (a == null || !(a.strip().equalsIgnoreCase("y") || a.strip().equalsIgnoreCase("yes"))) return 0;
            }
            JsonNode r = Json.MAPPER.readTree(send(request(), 200).body());
            JsonNode deleted = r.path("NetworksDeleted");
            if (deleted.isArray() && !deleted.isEmpty()) {
                out().println("Deleted Networks:");
                deleted.forEach(n -> out().println(n.asText()));
            }
            return 0;
        }
    }
}
