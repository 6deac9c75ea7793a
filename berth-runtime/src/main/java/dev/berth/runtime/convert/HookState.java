package dev.berth.runtime.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.spec.Spec;
import java.nio.file.Path;

/** The runtime-spec state JSON that hooks read on stdin. */
public final class HookState {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String STATUS = "@@berth-status@@";

  private HookState() {}

  public static String json(Spec spec, String id, Path bundle, String status, int pid) {
    String[] t = template(spec, id, bundle);
    return t[0] + status + t[1] + pid + t[2];
  }

  /** Three pieces: state = [0] + status + [1] + pid + [2] (the launcher fills in the live values). */
  public static String[] template(Spec spec, String id, Path bundle) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("ociVersion", spec.ociVersion()).put("id", id).put("status", STATUS).put("pid", 0)
        .put("bundle", bundle.toString());
    ObjectNode a = o.putObject("annotations");
    spec.annotations().forEach(a::put);
    String s = o.toString();
    int st = s.indexOf(STATUS);
    int pid = s.indexOf("\"pid\":0");
    return new String[] {s.substring(0, st), s.substring(st + STATUS.length(), pid + 6), s.substring(pid + 7)};
  }
}
