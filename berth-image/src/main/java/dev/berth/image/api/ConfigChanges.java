package dev.berth.image.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Dockerfile instructions applied to an image config, as {@code docker import --change} and
 * {@code docker commit --change} take them: CMD, ENTRYPOINT (JSON array, or shell form run by
 * {@code /bin/sh -c}), ENV (K=V ... or K V), WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, VOLUME.
 * Parsed once at creation, so a bad instruction fails before any work.
 */
public final class ConfigChanges {
    private record Change(String instruction, String args) {}

    private final List<Change> changes;

    private ConfigChanges(List<Change> changes) { this.changes = changes; }

    public static final ConfigChanges NONE = new ConfigChanges(List.of());

    public static ConfigChanges parse(List<String> lines) {
        if (lines == null || lines.isEmpty()) return NONE;
        List<Change> out = new ArrayList<>();
        for (String l : lines) {
            String t = l.strip();
            int sp = indexOfSpace(t);
            String instr = (sp < 0 ? t : t.substring(0, sp)).toUpperCase(java.util.Locale.ROOT);
            String args = sp < 0 ? "" : t.substring(sp + 1).strip();
            switch (instr) {
                case "CMD", "ENTRYPOINT", "ENV", "WORKDIR", "USER", "LABEL", "EXPOSE", "STOPSIGNAL", "VOLUME" -> {}
                default -> throw new ImageException.InvalidReference("unsupported --change \"" + l
                        + "\": CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL or VOLUME");
            }
            if (args.isEmpty() && !instr.equals("CMD") && !instr.equals("ENTRYPOINT"))
                throw new ImageException.InvalidReference("--change \"" + l + "\": " + instr + " needs an argument");
            Change c = new Change(instr, args);
            apply(c, Json.MAPPER.createObjectNode());   // validates the arguments now
            out.add(c);
        }
        return new ConfigChanges(List.copyOf(out));
    }

    public boolean isEmpty() { return changes.isEmpty(); }

    /** Applies the changes to {@code config}, the image config's {@code config} object. */
    public void applyTo(ObjectNode config) { for (Change c : changes) apply(c, config); }

    private static void apply(Change c, ObjectNode cfg) {
        String a = c.args();
        switch (c.instruction()) {
            case "CMD" -> setList(cfg, "Cmd", command(a, c));
            case "ENTRYPOINT" -> setList(cfg, "Entrypoint", command(a, c));
            case "WORKDIR" -> cfg.put("WorkingDir", a);
            case "USER" -> cfg.put("User", a);
            case "STOPSIGNAL" -> cfg.put("StopSignal", a);
            case "ENV" -> {
                ArrayNode env = cfg.has("Env") && cfg.get("Env").isArray() ? (ArrayNode) cfg.get("Env") : cfg.putArray("Env");
                for (String[] kv : pairs(a, c)) {
                    for (int i = 0; i < env.size(); i++) if (env.get(i).asText().startsWith(kv[0] + "=")) { env.remove(i); break; }
                    env.add(kv[0] + "=" + kv[1]);
                }
            }
            case "LABEL" -> {
                ObjectNode labels = cfg.has("Labels") && cfg.get("Labels").isObject() ? (ObjectNode) cfg.get("Labels") : cfg.putObject("Labels");
                for (String[] kv : pairs(a, c)) labels.put(kv[0], kv[1]);
            }
            case "EXPOSE" -> {
                ObjectNode ports = cfg.has("ExposedPorts") && cfg.get("ExposedPorts").isObject() ? (ObjectNode) cfg.get("ExposedPorts") : cfg.putObject("ExposedPorts");
                for (String p : a.split("\\s+")) {
                    if (!p.matches("[0-9]+(-[0-9]+)?(/(tcp|udp|sctp))?")) throw bad(c, "port " + p);
                    ports.putObject(p.contains("/") ? p : p + "/tcp");
                }
            }
            case "VOLUME" -> {
                ObjectNode vols = cfg.has("Volumes") && cfg.get("Volumes").isObject() ? (ObjectNode) cfg.get("Volumes") : cfg.putObject("Volumes");
                for (String v : a.startsWith("[") ? jsonArray(a, c) : List.of(a.split("\\s+"))) vols.putObject(v);
            }
            default -> throw new IllegalStateException(c.instruction());
        }
    }

    private static ImageException bad(Change c, String what) {
        return new ImageException.InvalidReference("--change \"" + c.instruction() + " " + c.args() + "\": invalid " + what);
    }

    private static void setList(ObjectNode cfg, String field, List<String> v) {
        ArrayNode arr = cfg.putArray(field);
        v.forEach(arr::add);
    }

    /** JSON array form as is; shell form → ["/bin/sh", "-c", text]; empty → []. */
    private static List<String> command(String a, Change c) {
        if (a.isEmpty()) return List.of();
        if (a.startsWith("[")) return jsonArray(a, c);
        return List.of("/bin/sh", "-c", a);
    }

    private static List<String> jsonArray(String a, Change c) {
        try {
            JsonNode n = Json.MAPPER.readTree(a);
            List<String> out = new ArrayList<>();
            if (n == null || !n.isArray()) throw bad(c, "JSON array");
            for (JsonNode x : n) { if (!x.isTextual()) throw bad(c, "JSON array of strings"); out.add(x.asText()); }
            return out;
        } catch (IOException e) {
            throw bad(c, "JSON array");
        }
    }

    /** "K=V K2=\"v 2\"" or the legacy "K V" form. */
    private static List<String[]> pairs(String a, Change c) {
        List<String[]> out = new ArrayList<>();
        int eq = a.indexOf('='), sp = indexOfSpace(a);
        if (eq < 0 || (sp >= 0 && sp < eq)) {
            if (sp < 0) throw bad(c, "KEY=VALUE");
            out.add(new String[]{a.substring(0, sp), a.substring(sp + 1).strip()});
            return out;
        }
        for (String w : words(a, c)) {
            int i = w.indexOf('=');
            if (i <= 0) throw bad(c, "KEY=VALUE " + w);
            out.add(new String[]{w.substring(0, i), w.substring(i + 1)});
        }
        return out;
    }

    /** Splits on blanks outside double or single quotes, removing the quotes; backslash escapes in double quotes. */
    private static List<String> words(String s, Change c) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quote != 0) {
                if (ch == quote) quote = 0;
                else if (ch == '\\' && quote == '"' && i + 1 < s.length()) w.append(s.charAt(++i));
                else w.append(ch);
            } else if (ch == '"' || ch == '\'') { quote = ch; any = true; }
            else if (Character.isWhitespace(ch)) { if (any || !w.isEmpty()) out.add(w.toString()); w.setLength(0); any = false; }
            else if (ch == '\\' && i + 1 < s.length()) { w.append(s.charAt(++i)); any = true; }
            else { w.append(ch); any = true; }
        }
        if (quote != 0) throw bad(c, "quoting");
        if (any || !w.isEmpty()) out.add(w.toString());
        return out;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return -1;
    }
}
