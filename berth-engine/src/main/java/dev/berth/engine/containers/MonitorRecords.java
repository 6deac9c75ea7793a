package dev.berth.engine.containers;

import dev.berth.runtime.state.ProcRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The monitor and keeper records of running containers, read once per run: the engine's 5 s
 * sweep asks whether each running container's monitor lives, which with many containers would
 * otherwise read (and parse) every container's runtime state every sweep. A container's
 * {@code keeper} and {@code monitor} files are written once, by those processes at their start;
 * once both are there, they are kept here until {@link #forget} (the end of the run). Liveness
 * itself ({@link ProcRecord#alive}: the pid's start time) is checked at each call.
 */
final class MonitorRecords {
  private final Map<String, List<ProcRecord>> known = new ConcurrentHashMap<>();

  /** Whether the monitor or keeper recorded in {@code stateDir} (the runtime state of {@code id}) lives. */
  boolean alive(String id, Path stateDir) {
    List<ProcRecord> r = known.get(id);
    if (r == null) {
      List<ProcRecord> keeper = ProcRecord.read(stateDir.resolve("keeper"));
      List<ProcRecord> monitor = ProcRecord.read(stateDir.resolve("monitor"));
      r = new ArrayList<>(keeper);
      r.addAll(monitor);
      if (!keeper.isEmpty() && !monitor.isEmpty()) known.put(id, List.copyOf(r)); // complete: kept for this run
    }
    for (ProcRecord p : r) if (p.alive()) return true;
    return false;
  }

  /** The run of {@code id} ended (or its runtime state was deleted): read its records afresh next time. */
  void forget(String id) {
    known.remove(id);
  }

  int size() { return known.size(); }
}
