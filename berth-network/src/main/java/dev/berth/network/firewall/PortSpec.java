package dev.berth.network.firewall;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.network.Cidr;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One container port to publish, as asked: {@code hostIp} ("" = every host address),
 * {@code hostPortLow..hostPortHigh} (0..0 = a random ephemeral port; a range = any free port of it),
 * {@code containerPort}/{@code proto}. Parsed from the CLI form ({@code -p [ip:][host[-end]:]container[-end][/proto]})
 * or from the API's HostConfig.PortBindings (+ PublishAllPorts with Config.ExposedPorts).
 * Errors name the spec.
 */
public record PortSpec(String hostIp, int hostPortLow, int hostPortHigh, int containerPort, Protocol proto) {

    public PortSpec {
        if (hostIp == null) {
            hostIp = "";
        }
        if (!hostIp.isEmpty()) {
            hostIp = new Cidr(Cidr.parseAddress(hostIp), Cidr.parseAddress(hostIp).getAddress().length * 8).addressText();
        }
        if (hostPortLow < 0 || hostPortHigh > 65535 || hostPortLow > hostPortHigh || (hostPortLow == 0) != (hostPortHigh == 0)) {
            throw new IllegalArgumentException("invalid host port range: " + hostPortLow + "-" + hostPortHigh);
        }
        if (containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("invalid container port: " + containerPort);
        }
        if (proto == null) {
            proto = Protocol.TCP;
        }
    }

    public boolean randomHostPort() {
        return hostPortLow == 0;
    }

    /** "80/tcp". */
    public String containerKey() {
        return containerPort + "/" + proto.text();
    }

    /**
     * The CLI's {@code -p} value: {@code 80}, {@code 8080:80}, {@code 127.0.0.1:8080:80/udp},
     * {@code 127.0.0.1::80}, {@code [::1]:8080:80}, {@code 8000-8010:80-90}, {@code 8000-8010:80}.
     */
    public static List<PortSpec> parse(String spec) {
        try {
            return parse0(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid port specification: \"" + spec + "\" (" + e.getMessage() + ")");
        }
    }

    private static List<PortSpec> parse0(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty");
        }
        String s = spec;
        Protocol proto = Protocol.TCP;
        int slash = s.lastIndexOf('/');
        if (slash >= 0) {
            proto = Protocol.parse(s.substring(slash + 1));
            s = s.substring(0, slash);
        }
        String ip = "";
        String host = "";
        String container;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0 || end + 1 >= s.length() || s.charAt(end + 1) != ':') {
                throw new IllegalArgumentException("bad IPv6 address");
            }
            ip = s.substring(1, end);
            s = s.substring(end + 2);
            int c = s.indexOf(':');
            if (c < 0) {
                throw new IllegalArgumentException("no container port");
            }
            host = s.substring(0, c);
            container = s.substring(c + 1);
        } else {
            String[] parts = s.split(":", -1);
            switch (parts.length) {
                case 1 -> container = parts[0];
                case 2 -> { host = parts[0]; container = parts[1]; }
                case 3 -> { ip = parts[0]; host = parts[1]; container = parts[2]; }
                default -> throw new IllegalArgumentException("too many colons");
            }
        }
        if (!ip.isEmpty()) {
            Cidr.parseAddress(ip);
        }
        int[] c = range(container, "container port");
        int[] h = host.isEmpty() ? new int[] {0, 0} : range(host, "host port");
        return expand(ip, h, c, proto);
    }

    private static List<PortSpec> expand(String ip, int[] h, int[] c, Protocol proto) {
        int n = c[1] - c[0] + 1;
        List<PortSpec> out = new ArrayList<>();
        if (h[0] != 0 && h[1] - h[0] + 1 != n && n != 1) {
            throw new IllegalArgumentException("host port range " + h[0] + "-" + h[1]
                    + " does not match container port range " + c[0] + "-" + c[1]);
        }
        for (int i = 0; i < n; i++) {
            if (h[0] == 0 || n == 1) {
                out.add(new PortSpec(ip, h[0], h[1], c[0] + i, proto));
            } else {
                out.add(new PortSpec(ip, h[0] + i, h[0] + i, c[0] + i, proto));
            }
        }
        return out;
    }

    private static int[] range(String s, String what) {
        int dash = s.indexOf('-');
        int lo = port(dash < 0 ? s : s.substring(0, dash), what);
        int hi = dash < 0 ? lo : port(s.substring(dash + 1), what);
        if (hi < lo) {
            throw new IllegalArgumentException("invalid " + what + " range " + s);
        }
        return new int[] {lo, hi};
    }

    private static int port(String s, String what) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid " + what + " " + s);
        }
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("invalid " + what + " " + s);
        }
        return p;
    }

    /**
     * The API's HostConfig.PortBindings ({@code {"80/tcp":[{"HostIp":"","HostPort":"8080"}]}}, a
     * HostPort "" or "0" = random, "8000-8010" = any of them), plus, with {@code publishAll}, a
     * random port for each Config.ExposedPorts key that has no binding. Either node may be null.
     */
    public static List<PortSpec> fromApi(JsonNode portBindings, JsonNode exposedPorts, boolean publishAll) {
        List<PortSpec> out = new ArrayList<>();
        Set<String> bound = new LinkedHashSet<>();
        if (portBindings != null && !portBindings.isNull()) {
            if (!portBindings.isObject()) {
                throw new IllegalArgumentException("HostConfig.PortBindings: not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = portBindings.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                bound.add(normalKey(key));
                JsonNode list = e.getValue();
                if (list == null || list.isNull()) {
                    continue;
                }
                if (!list.isArray()) {
                    throw new IllegalArgumentException("HostConfig.PortBindings[\"" + key + "\"]: not a list");
                }
                for (JsonNode b : list) {
                    String ip = b.path("HostIp").asText("");
                    String hp = b.path("HostPort").asText("");
                    String spec = key;
                    try {
                        int slash = key.lastIndexOf('/');
                        Protocol proto = Protocol.parse(slash < 0 ? "" : key.substring(slash + 1));
                        int[] c = range(slash < 0 ? key : key.substring(0, slash), "container port");
                        int[] h = hp.isEmpty() || hp.equals("0") ? new int[] {0, 0} : range(hp, "host port");
                        if (!ip.isEmpty()) {
                            Cidr.parseAddress(ip);
                        }
                        out.addAll(expand(ip, h, c, proto));
                    } catch (IllegalArgumentException x) {
                        spec = (ip.isEmpty() ? "" : ip + ":") + hp + ":" + key;
                        throw new IllegalArgumentException("invalid port specification: \"" + spec + "\" (" + x.getMessage() + ")");
                    }
                }
            }
        }
        if (publishAll && exposedPorts != null && exposedPorts.isObject()) {
            for (Iterator<String> it = exposedPorts.fieldNames(); it.hasNext();) {
                String key = it.next();
                if (!bound.contains(normalKey(key))) {
                    out.addAll(parse(key));
                }
            }
        }
        return out;
    }

    private static String normalKey(String key) {
        return key.contains("/") ? key.toLowerCase(java.util.Locale.ROOT) : key + "/tcp";
    }
}
