package dev.berth.api.networks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.networks.NetworkException;
import dev.berth.engine.networks.NetworkService;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The networks group of the Docker API over berth-engine's {@link NetworkService}: GET /networks
 * (filters name, id, driver, scope, type, label, dangling), GET /networks/{id}, POST
 * /networks/create (201), POST /networks/{id}/connect and /disconnect (200), DELETE
 * /networks/{id} (204), POST /networks/prune (filters label, label!, until), with dockerd's status
 * codes and messages (403 a predefined network or one with active endpoints or an overlapping
 * pool, 404 unknown network or container, 409 a name taken). Network events (create, destroy,
 * connect, disconnect) go to the engine's bus. Without a network service (handler tests with no
 * engine) only the predefined networks are listed and every change is refused with 501.
 */
public final class NetworksHandler extends ResourceHandler {
    /** The predefined networks: name, driver (dockerd's: bridge, host, null). */
    static final Map<String, String> PREDEFINED = new LinkedHashMap<>();
    static {
        PREDEFINED.put("bridge", "bridge");
        PREDEFINED.put("host", "host");
        PREDEFINED.put("none", "null");
    }

    private final NetworkService networks;
    private final ContainerEngine engine;

    /** @param engine the containers and their networks; may be null (predefined networks only, read-only) */
    public NetworksHandler(ContainerEngine engine) {
        this.engine = engine;
        this.networks = engine == null ? null : engine.networks();
    }

    /** A stable 64-hex ID per predefined network name. */
    static String id(String name) {
        return NetworkService.predefinedId(name);
    }

    @Override
    protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception {
        String path = req.path();
        if (!path.equals("/networks") && !path.startsWith("/networks/")) return false;
        try {
            return route(ctx, req, path);
        } catch (NetworkException e) {
            throw new ApiException(HttpResponseStatus.valueOf(e.status()), e.getMessage());
        }
    }

    private boolean route(ChannelHandlerContext ctx, ApiRequest req, String path) {
        HttpMethod m = req.method();
        boolean get = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD), post = m.equals(HttpMethod.POST);
        if (path.equals("/networks") || path.equals("/networks/")) {
            if (!get) return false;
            Responses.json(ctx, req, HttpResponseStatus.OK, networks != null ? networks.listJson(req.filters()) : listPredefined(req.filters()));
            return true;
        }
        if (path.equals("/networks/create")) {
            if (!post) return false;
            JsonNode b = body(req);
            String name = b.path("Name").asText("");
            if (PREDEFINED.containsKey(name)) throw forbidden("operation is not permitted on predefined " + name + " network");
            List<String> c = service().createJson(b);
            event("create", c);
            ObjectNode o = Json.object();
            o.put("Id", c.get(0));
            o.put("Warning", c.get(3));
            Responses.json(ctx, req, HttpResponseStatus.CREATED, o);
            return true;
        }
        if (path.equals("/networks/prune")) {
            if (!post) return false;
            ObjectNode o = Json.object();
            ArrayNode deleted = o.putArray("NetworksDeleted");
            if (networks != null) networks.prune(req.filters()).forEach(deleted::add);
            Responses.json(ctx, req, HttpResponseStatus.OK, o);
            return true;
        }
        String rest = path.substring("/networks/".length());
        int slash = rest.indexOf('/');
        String ref = slash < 0 ? rest : rest.substring(0, slash), action = slash < 0 ? "" : rest.substring(slash + 1);
        switch (action) {
            case "" -> {
                if (get) {
                    Responses.json(ctx, req, HttpResponseStatus.OK, networks != null ? networks.inspectJson(ref) : predefined(resolvePredefined(ref)));
                    return true;
                }
                if (m.equals(HttpMethod.DELETE)) {
                    if (networks == null) throw forbidden(resolvePredefined(ref) + " is a pre-defined network and cannot be removed");
                    event("destroy", networks.removeRef(ref));
                    Responses.send(ctx, req, HttpResponseStatus.NO_CONTENT, "text/plain", new byte[0], null);
                    return true;
                }
                return false;
            }
            case "connect", "disconnect" -> {
                if (!post) return false;
                if (networks == null) {
                    throw new ApiException(HttpResponseStatus.NOT_IMPLEMENTED, "berth cannot " + action + " containers here: no network service ("
                            + resolvePredefined(ref) + ")");
                }
                List<String> n = networks.idAndName(ref);
                JsonNode b = body(req);
                String container = b.path("Container").asText("");
                if (container.isEmpty()) throw ApiException.badRequest("no container given to " + action);
                if (action.equals("connect")) networks.connect(n.get(0), container, b.get("EndpointConfig"));
                else networks.disconnect(n.get(0), container, b.path("Force").asBoolean(false));
                if (engine != null) {
                    String cid = engine.get(container).id;
                    engine.events().publish("network", action, n.get(0), Map.of("container", cid, "name", n.get(1), "type", n.get(2)));
                }
                Responses.send(ctx, req, HttpResponseStatus.OK, "text/plain", new byte[0], null);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private void event(String action, List<String> idNameDriver) {
        if (engine != null) {
            engine.events().publish("network", action, idNameDriver.get(0), Map.of("name", idNameDriver.get(1), "type", idNameDriver.get(2)));
        }
    }

    private NetworkService service() {
        if (networks == null) {
            throw new ApiException(HttpResponseStatus.NOT_IMPLEMENTED, "berth cannot create networks here: no network service");
        }
        return networks;
    }

    private static JsonNode body(ApiRequest req) {
        try {
            return req.body().length == 0 ? Json.object() : Json.MAPPER.readTree(req.body());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("invalid JSON in the request body: " + e.getMessage());
        }
    }

    private static ApiException forbidden(String message) {
        return new ApiException(HttpResponseStatus.FORBIDDEN, message);
    }

    // ---- without a network service: the three predefined networks, read-only ----------------------

    static String resolvePredefined(String ref) {
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

    private static ArrayNode listPredefined(Map<String, List<String>> f) {
        ArrayNode out = Json.array();
        for (String name : PREDEFINED.keySet()) {
            boolean ok = true;
            for (var e : f.entrySet()) {
                if (e.getValue().isEmpty()) continue;
                boolean any = false;
                for (String v : e.getValue()) {
                    any |= switch (e.getKey()) {
                        case "name" -> name.contains(v);
                        case "id" -> id(name).startsWith(v);
                        case "driver" -> PREDEFINED.get(name).equals(v);
                        case "scope" -> v.equals("local");
                        case "type" -> {
                            if (!v.equals("builtin") && !v.equals("custom")) throw ApiException.badRequest("invalid filter: 'type'='" + v + "'");
                            yield v.equals("builtin");
                        }
                        case "label", "dangling" -> false;
                        default -> throw ApiException.badRequest("invalid filter '" + e.getKey() + "'");
                    };
                }
                ok &= any;
            }
            if (ok) out.add(predefined(name));
        }
        return out;
    }

    private static ObjectNode predefined(String name) {
        ObjectNode o = Json.object();
        o.put("Name", name);
        o.put("Id", id(name));
        o.put("Created", "0001-01-01T00:00:00Z");
        o.put("Scope", "local");
        o.put("Driver", PREDEFINED.get(name));
        o.put("EnableIPv4", name.equals("bridge"));
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
        o.putObject("Containers");
        o.putObject("Options");
        o.putObject("Labels");
        return o;
    }
}
