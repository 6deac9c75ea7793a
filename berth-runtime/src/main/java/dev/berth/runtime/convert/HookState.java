package dev.berth.runtime.convert;

import dev.berth.spec.Json;
import dev.berth.spec.Spec;
import java.nio.file.Path;

/** The runtime-spec state JSON that hooks read on stdin. */
public final class HookState {
  private HookState() {}

  public static String json(Spec spec, String id, Path bundle, String status, int pid) {
    String[] t = template(spec, id, bundle);
    return t[0] + status + t[1] + pid + t[2];
  }

  /** Three pieces: state = [0] + status + [1] + pid + [2] (the launcher fills in the live values). */
  public static String[] template(Spec spec, String id, Path bundle) {
    String head = "{\"ociVersion\":" + Json.quote(spec.ociVersion()) + ",\"id\":" + Json.quote(id) + ",\"status\":\"";
    String mid = "\",\"pid\":";
    String tail = ",\"bundle\":" + Json.quote(bundle.toString()) + ",\"annotations\":"
        + Json.render(new java.util.LinkedHashMap<>(spec.annotations())) + "}";
    return new String[] {head, mid, tail};
  }
}
