package dev.berth.cli.runc;

import dev.berth.spec.Json;
import java.util.Map;
import dev.berth.runtime.ops.ListOp;
import java.util.List;

final class ListCommand implements RuncCommand {
  public String name() {
    return "list";
  }

  public String summary() {
    return "List containers (alias ls).";
  }

  public String arguments() {
    return "";
  }

  public List<Flag> flags() {
    return List.of(Flag.value("--format", "-f", "table|json", "output format (default table)"),
        Flag.bool("--quiet", "-q", "ids only"));
  }

  public int run(Global g, Args a) throws Exception {
    List<Map<String, Object>> all = ListOp.list(g.context());
    if (a.bool("--quiet")) {
      all.forEach(o -> System.out.println(o.get("id")));
    } else if (a.string("--format", "table").equals("json")) {
      System.out.println(Json.render(all));
    } else {
      System.out.printf("%-20s %-8s %-10s %-40s %-30s %s%n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (Map<String, Object> o : all) {
        System.out.printf("%-20s %-8d %-10s %-40s %-30s %s%n", o.get("id"), o.get("pid"), o.get("status"),
            o.get("bundle"), o.get("created"), o.get("owner"));
      }
    }
    return 0;
  }
}
