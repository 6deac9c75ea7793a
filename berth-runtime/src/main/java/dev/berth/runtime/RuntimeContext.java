package dev.berth.runtime;

import dev.berth.cgroups.CgroupManager;
import dev.berth.cgroups.CgroupManagers;
import dev.berth.runtime.state.Container;
import dev.berth.runtime.state.StateStore;
import java.nio.file.Path;

/**
 * What every operation needs: the state root, the launcher binary and the global --log settings.
 *
 * @param launcher berth-native's berth-launch (from -Dberth.launcher)
 */
public record RuntimeContext(StateStore store, Path launcher, Path logFile, String logFormat) {

  public CgroupManager cgroups(Container c) {
    return CgroupManagers.open(c.record().cgroupsPath(), c.id());
  }
}
