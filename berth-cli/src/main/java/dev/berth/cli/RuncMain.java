package dev.berth.cli;

import dev.berth.cli.runc.Commands;
import dev.berth.cli.runc.GlobalOptions;
import picocli.CommandLine;

/** bin/berth-runc: runc's command line over the berth runtime. */
public final class RuncMain {
  private RuncMain() {}

  public static void main(String[] args) {
    GlobalOptions global = new GlobalOptions();
    CommandLine cl = Commands.commandLine(global);
    int code = cl.execute(args);
    System.out.flush();
    System.exit(code);
  }
}
