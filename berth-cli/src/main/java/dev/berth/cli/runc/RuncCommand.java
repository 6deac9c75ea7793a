package dev.berth.cli.runc;

import java.util.List;

/** One berth-runc subcommand: its flags (for parsing and help) and what it does. */
public interface RuncCommand {
  String name();

  String summary();

  /** What follows the flags in the usage line, e.g. {@code <container-id> [signal]}. */
  String arguments();

  List<Flag> flags();

  /** Whether flags end at the first positional (runc's exec and ps pass the rest to the process). */
  default boolean stopAtPositional() {
    return true;
  }

  int run(Global global, Args args) throws Exception;
}
