package dev.berth.network.firewall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;

/** Published ports in Docker's inspect shape, NetworkSettings.Ports (what {@code docker port} prints from). */
public final class PortsView {
    private PortsView() {
    }

    /**
     * {@code {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}],"443/tcp":null}}:
     * every exposed port (null when not published) and every published one, in the order given.
     */
    public static ObjectNode inspectPorts(List<PortMapping> mappings, JsonNode exposedPorts) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (exposedPorts != null && exposedPorts.isObject()) {
            for (Iterator<String> it = exposedPorts.fieldNames(); it.hasNext();) {
                String k = it.next();
                out.putNull(k.contains("/") ? k : k + "/tcp");
            }
        }
        for (PortMapping m : mappings) {
            JsonNode cur = out.get(m.containerKey());
            ArrayNode list = cur instanceof ArrayNode a ? a : out.putArray(m.containerKey());
            ObjectNode b = list.addObject();
            b.put("HostIp", m.hostIpText());
            b.put("HostPort", Integer.toString(m.hostPort()));
        }
        return out;
    }
}
