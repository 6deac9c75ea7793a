package dev.berth.engine.trace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OpTraceTest {
  @Test
  void lineNamesTheRequestEachPhaseInOrderAndTheRest() {
    OpTrace t = OpTrace.detached("POST /containers/create");
    t.mark("parse");
    t.mark("snapshot");
    String line = t.line(System.nanoTime());
    assertTrue(line.matches("berthd-trace POST /containers/create [0-9]+\\.[0-9] ms: parse [0-9]+\\.[0-9], snapshot [0-9]+\\.[0-9], rest [0-9]+\\.[0-9]"), line);
  }

  @Test
  void withoutPhasesOnlyTheTotal() {
    String line = OpTrace.detached("GET /_ping").line(System.nanoTime());
    assertTrue(line.matches("berthd-trace GET /_ping [0-9]+\\.[0-9] ms"), line);
  }
}
