package dev.berth.api.networks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The networks group, read-only: berth has only the three predefined networks of dockerd ({@code
 * bridge}, {@code host}, {@code none}; a container's {@code HostConfig.NetworkMode} picks one), so
 * GET /networks and GET /networks/{id} answer in moby's Network shape, and every request that would
 * change a network (create, connect, disconnect, delete) is refused with a clear error rather than
 * pretending. Prune has nothing to remove.
 */
public final class NetworksHandler extends ResourceHandler {
    /** The predefined networks: name, driver (dockerd's: bridge, host, null). */
    static final Map<String, String> PREDEFINED = new LinkedHashMap<>();
    static {
        PREDEFINED.put("bridge", "bridge");
        PREDEFINED.put("host", "host");
        PREDEFINED.put("none", "null");
    }

    private final ContainerEngine engine;
    private final String created;

    /** @param engine the containers, for a network's Containers in inspect; may be null (none listed) */
    public NetworksHandler(ContainerEngine engine) {
        this.engine = engine;
        this.created = DateTimeFormatter.ISO_INSTANT.format(Instant.now());
    }

    /** A stable 64-hex ID per predefined network name. */
    static String id(String name) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(("berth-predefined-network:" + name).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception {
        String path = req.path();
        if (!path.equals("/networks") && !path.startsWith("/networks/")) return false;
        HttpMethod m = req.method();
        boolean get = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD), post = m.equals(HttpMethod.POST);
        if (path.equals("/networks") || path.equals("/networks/")) {
            if (!get) return false;
            list(ctx, req);
            return true;
        }
        if (path.equals("/networks/create")) {
            if (!post) return false;
            JsonNode b;
            try {
                b = req.body().length == 0 ? Json.object() : Json.MAPPER.readTree(req.body());
            } catch (java.io.IOException e) {
                throw ApiException.badRequest("invalid JSON in the request body: " + e.getMessage());
            }
            String name = b.path("Name").asText("");
            if (PREDEFINED.containsKey(name)) {
                throw forbidden("operation is not permitted on predefined " + name + " network");
            }
            throw notImplemented("berth cannot create networks (" + (name.isEmpty() ? "no name given" : name)
                    + "): only the predefined networks bridge, host and none exist; use network_mode/--network host, bridge or none");
        }
        if (path.equals("/networks/prune")) {
            if (!post) return false;
            ObjectNode o = Json.object();
            o.putArray("NetworksDeleted"); // no user-defined network can exist
            Responses.json(ctx, req, HttpResponseStatus.OK, o);
            return true;
        }
        String rest = path.substring("/networks/".length());
        int slash = rest.indexOf('/');
        String ref = slash < 0 ? rest : rest.substring(0, slash), action = slash < 0 ? "" : rest.substring(slash + 1);
        switch (action) {
            case "" -> {
                if (get) {
                    Responses.json(ctx, req, HttpResponseStatus.OK, network(resolve(ref), true));
                    return true;
                }
                if (m.equals(HttpMethod.DELETE)) {
                    String name = resolve(ref);
                    throw forbidden(name + " is a pre-defined network and cannot be removed");
                }
                return false;
            }
            case "connect", "disconnect" -> {
                if (!post) return false;
                String name = resolve(ref);
                throw notImplemented("berth cannot " + action + " containers to or from network " + name
                        + ": a container's network is fixed by its NetworkMode at create");
            }
            default -> {
                return false;
            }
        }
    }

    private static ApiException forbidden(String message) {
        return new ApiException(HttpResponseStatus.FORBIDDEN, message);
    }

    private static ApiException notImplemented(String message) {
        return new ApiException(HttpResponseStatus.NOT_IMPLEMENTED, message);
    }

    /** A name, a full ID or an ID prefix to a predefined network's name; else 404 as dockerd. */
    static String resolve(String ref) {
        if (PREDEFINED.containsKey(ref)) return ref;
        String found = null;
        if (!ref.isEmpty()) {
            for (String n : PREDEFINED.keySet()) {
                if (id(n).startsWith(ref)) {
                    if (found != null) throw ApiException.badRequest("network " + ref + " is ambiguous");
                    found = n;
                }
            }
        }
        if (found == null) throw ApiException.notFound("network " + ref + " not found");
        return found;
    }

    private void list(ChannelHandlerContext ctx, ApiRequest req) {
        Map<String, List<String>> f = req.filters();
        ArrayNode out = Json.array();
        for (String name : PREDEFINED.keySet()) {
            if (matches(name, f)) out.add(network(name, false));
        }
        Responses.json(ctx, req, HttpResponseStatus.OK, out);
    }

    static boolean matches(String name, Map<String, List<String>> f) {
        for (var e : f.entrySet()) {
            if (e.getValue().isEmpty()) continue;
            boolean any = false;
            for (String v : e.getValue()) {
                boolean ok = switch (e.getKey()) {
                    case "name" -> name.contains(v); // dockerd: substring match
                    case "id" -> id(name).startsWith(v);
                    case "driver" -> PREDEFINED.get(name).equals(v);
                    case "scope" -> v.equals("local");
                    case "type" -> {
                        if (!v.equals("builtin") && !v.equals("custom")) throw ApiException.badRequest("invalid filter: 'type'='" + v + "'");
                        yield v.equals("builtin");
                    }
                    case "label", "dangling" -> false; // predefined networks carry no labels and are never dangling
                    default -> throw ApiException.badRequest("invalid filter '" + e.getKey() + "'");
                };
                any |= ok;
            }
            if (!any) return false;
        }
        return true;
    }


    /** moby's Network; inspect lists the containers whose NetworkMode is this network. */
    ObjectNode network(String name, boolean withContainers) {
        ObjectNode o = Json.object();
        o.put("Name", name);
        o.put("Id", id(name));
        o.put("Created", created);
        o.put("Scope", "local");
        o.put("Driver", PREDEFINED.get(name));
        o.put("EnableIPv4", !name.equals("none") && !name.equals("host"));
        o.put("EnableIPv6", false);
        ObjectNode ipam = o.putObject("IPAM");
        ipam.put("Driver", "default");
        ipam.putNull("Options");
        ipam.putArray("Config");
        o.put("Internal", false);
        o.put("Attachable", false);
        o.put("Ingress", false);
        o.putObject("ConfigFrom").put("Network", "");
        o.put("ConfigOnly", false);
        ObjectNode cs = o.putObject("Containers");
        if (withContainers && engine != null) {
            for (Container c : engine.list()) {
                String mode = c.hostConfig().path("NetworkMode").asText("");
                String net = mode.isEmpty() || mode.equals("default") ? "bridge" : mode;
                if (!net.equals(name) || !c.running()) continue;
                ObjectNode e = cs.putObject(c.id);
                String n = c.name();
                e.put("Name", n.startsWith("/") ? n.substring(1) : n);
                e.put("EndpointID", "");
                e.put("MacAddress", "");
                e.put("IPv4Address", "");
                e.put("IPv6Address", "");
            }
        }
        o.putObject("Options");
        o.putObject("Labels");
        return o;
    }
}
