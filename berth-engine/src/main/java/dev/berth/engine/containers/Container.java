package dev.berth.engine.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One container in Docker's model: what {@code GET /containers/{id}/json} shows, persisted as
 * {@code container.json} in its directory. Mutable; every access holds the object's monitor (the
 * engine's methods synchronize on it). The futures are runtime-only: {@link #started} completes
 * at the next start, {@link #exited} when the current run has ended (its exit code), {@link
 * #removed} when the container is gone.
 */
public final class Container {
  static final ObjectMapper M = new ObjectMapper();
  public static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  public final String id;
  String name; // with the leading "/"
  final String created;
  String path;
  List<String> args = List.of();
  ObjectNode config;
  ObjectNode hostConfig;
  String image; // sha256:<config digest>
  String imageRef; // as the client named it
  ArrayNode mounts;
  final Path dir;

  // State
  String status = "created";
  int pid;
  int exitCode;
  String error = "";
  String startedAt = ZERO_TIME;
  String finishedAt = ZERO_TIME;
  boolean oomKilled;
  int restartCount;
  boolean removing;
  /** The user stopped or killed it (no restart policy applies). */
  boolean stoppedByUser;
  /** State.Health: null while the container has never run a health check. */
  dev.berth.engine.health.HealthState health;

  // runtime only
  CompletableFuture<Run> started = new CompletableFuture<>();
  Run run; // the current or last run
  final CompletableFuture<Void> removed = new CompletableFuture<>();

  /** One start of the container: where its output begins in the log (offset in the file with that inode), and its end. */
  public record Run(long seq, long logOffset, CompletableFuture<Integer> exited, long logInode) {
    public Run(long seq, long logOffset, CompletableFuture<Integer> exited) { this(seq, logOffset, exited, -1); }

    /** Where this run's output begins (rotation may have renamed that file since). */
    public JsonLog.Position logPosition() { return logInode < 0 ? null : new JsonLog.Position(logInode, logOffset); }
  }

  Container(String id, String name, String created, Path dir) {
    this.id = id;
    this.name = name;
    this.created = created;
    this.dir = dir;
  }

  public synchronized String name() { return name; }
  public synchronized String status() { return status; }
  public synchronized boolean running() { return status.equals("running") || status.equals("paused"); }
  public synchronized ObjectNode config() { return config; }
  public synchronized ObjectNode hostConfig() { return hostConfig; }
  public synchronized String image() { return image; }
  public synchronized int exitCode() { return exitCode; }
  public synchronized Run run() { return run; }
  public synchronized CompletableFuture<Run> nextStart() { return started; }
  public CompletableFuture<Void> removedFuture() { return removed; }
  public Path logPath() { return dir.resolve(id + "-json.log"); }
  public boolean tty() { JsonNode c = config(); return c != null && c.path("Tty").asBoolean(false); }
  public Path dir() { return dir; }
  /** State.Health, or null (no health check has run). */
  public synchronized dev.berth.engine.health.HealthState health() { return health; }
  /** A start with a health check: the health state reset to starting (created at the first). */
  public synchronized dev.berth.engine.health.HealthState resetHealth() {
    if (health == null) health = new dev.berth.engine.health.HealthState();
    health.reset();
    return health;
  }
  /** State.StartedAt of the current or last run. */
  public synchronized java.time.Instant startedAt() { return java.time.Instant.parse(startedAt); }
  /** Docker's "restarting": waiting for a restart policy's delay (inspect shows Running and Restarting). */
  public synchronized boolean restarting() { return status.equals("restarting"); }

  /** The persisted form (also the base of inspect). */
  synchronized ObjectNode toJson() {
    ObjectNode o = M.createObjectNode();
    o.put("Id", id);
    o.put("Created", created);
    o.put("Path", path);
    ArrayNode a = o.putArray("Args");
    args.forEach(a::add);
    o.set("State", stateJson());
    o.put("Image", image);
    o.put("ImageRef", imageRef);
    o.put("Name", name);
    o.put("RestartCount", restartCount);
    o.put("StoppedByUser", stoppedByUser);
    o.set("Config", config);
    o.set("HostConfig", hostConfig);
    o.set("Mounts", mounts == null ? M.createArrayNode() : mounts);
    return o;
  }

  synchronized ObjectNode stateJson() {
    ObjectNode s = M.createObjectNode();
    s.put("Status", status);
    s.put("Running", status.equals("running") || status.equals("paused") || status.equals("restarting"));
    s.put("Paused", status.equals("paused"));
    s.put("Restarting", status.equals("restarting"));
    s.put("OOMKilled", oomKilled);
    s.put("Dead", status.equals("dead"));
    s.put("Pid", pid);
    s.put("ExitCode", exitCode);
    s.put("Error", error);
    s.put("StartedAt", startedAt);
    s.put("FinishedAt", finishedAt);
    if (health != null) s.set("Health", health.toJson());
    return s;
  }

  static Container fromJson(JsonNode o, Path dir) {
    Container c = new Container(o.path("Id").asText(), o.path("Name").asText(), o.path("Created").asText(), dir);
    c.path = o.path("Path").asText("");
    List<String> args = new ArrayList<>();
    o.path("Args").forEach(x -> args.add(x.asText()));
    c.args = args;
    JsonNode s = o.path("State");
    c.status = s.path("Status").asText("created");
    c.pid = s.path("Pid").asInt(0);
    c.exitCode = s.path("ExitCode").asInt(0);
    c.error = s.path("Error").asText("");
    c.startedAt = s.path("StartedAt").asText(ZERO_TIME);
    c.finishedAt = s.path("FinishedAt").asText(ZERO_TIME);
    c.oomKilled = s.path("OOMKilled").asBoolean(false);
    if (s.path("Health").isObject()) c.health = dev.berth.engine.health.HealthState.fromJson(s.get("Health"));
    c.image = o.path("Image").asText("");
    c.imageRef = o.path("ImageRef").asText("");
    c.restartCount = o.path("RestartCount").asInt(0);
    c.stoppedByUser = o.path("StoppedByUser").asBoolean(false);
    c.config = o.path("Config").isObject() ? (ObjectNode) o.get("Config") : M.createObjectNode();
    c.hostConfig = o.path("HostConfig").isObject() ? (ObjectNode) o.get("HostConfig") : M.createObjectNode();
    c.mounts = o.path("Mounts").isArray() ? (ArrayNode) o.get("Mounts") : M.createArrayNode();
    return c;
  }
}
