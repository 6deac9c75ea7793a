package dev.berth.cli;

import dev.berth.cli.runc.Runc;
import dev.berth.runtime.Launcher;

/** bin/berth-runc: runc's command line over the berth runtime. */
public final class RuncMain {
  private RuncMain() {}

  public static void main(String[] args) {
    dev.berth.runtime.Trace.mark("main");
    Launcher.clearStaleHandoff();
    int code = Runc.execute(args);
    System.out.flush();
    System.err.flush();
    // Nothing to shut down: skip the shutdown sequence.
    Runtime.getRuntime().halt(code);
  }
}
