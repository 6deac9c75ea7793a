package dev.berth.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh {@link Runc} per test; closing it deletes the test's containers and checks nothing is left. */
abstract class RuncTest {
  Runc runc;

  @BeforeEach
  void openRunc() throws Exception {
    runc = new Runc();
  }

  @AfterEach
  void closeRunc() throws Exception {
    runc.close();
  }
}
