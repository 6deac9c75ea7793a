package dev.berth.cli.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cgroups.CgroupManager;
import dev.berth.runtime.RuntimeContext;
import dev.berth.runtime.ops.Events;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * events: runc's shape, {@code {"type":"stats","id":...,"data":{...}}} once with --stats, else a
 * stats line every --interval plus an {@code {"type":"oom"}} line the moment the kernel reports one,
 * until the container stops.
 */
final class EventsCommand implements RuncCommand {
  public String name() {
    return "events";
  }

  public String summary() {
    return "Print resource usage and OOM events of a container as JSON.";
  }

  public String arguments() {
    return "<container-id>";
  }

  public List<Flag> flags() {
    return List.of(Flag.bool("--stats", null, "print the stats once and exit"),
        Flag.value("--interval", null, "duration", "stats interval, e.g. 5s or 500ms (default 5s)"));
  }

  public int run(Global g, Args a) throws Exception {
    RuntimeContext ctx = g.context();
    String id = a.id();
    ObjectMapper json = new ObjectMapper();
    CgroupManager cg = Events.manager(ctx, id);
    if (a.bool("--stats")) {
      System.out.println(json.writeValueAsString(event("stats", id, cg.stats())));
      return 0;
    }
    Duration every = interval(a.string("--interval", "5s"));
    Object lock = new Object();
    try (AutoCloseable oom = cg.onOom(() -> {
      synchronized (lock) {
        print(json, event("oom", id, null));
      }
    })) {
      while (Events.running(ctx, id)) {
        synchronized (lock) {
          print(json, event("stats", id, cg.stats()));
        }
        Thread.sleep(every.toMillis());
      }
    }
    return 0;
  }

  private static Map<String, Object> event(String type, String id, Object data) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("type", type);
    e.put("id", id);
    if (data != null) e.put("data", data);
    return e;
  }

  private static void print(ObjectMapper json, Object o) {
    try {
      System.out.println(json.writeValueAsString(o));
      System.out.flush();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Duration interval(String s) {
    try {
      if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      if (s.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      if (s.endsWith("m")) return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      return Duration.ofSeconds(Long.parseLong(s));
    } catch (NumberFormatException e) {
      throw new UsageException("events: --interval: expected a duration like 5s or 500ms, got \"" + s + "\"");
    }
  }
}
