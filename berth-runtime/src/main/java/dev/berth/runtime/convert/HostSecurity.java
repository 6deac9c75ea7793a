package dev.berth.runtime.convert;

import java.nio.file.Files;
import java.nio.file.Path;

/** Which Linux security modules this host enables (their fields are applied only then). */
public final class HostSecurity {
  private HostSecurity() {}

  public static boolean apparmor() {
    try {
      return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y");
    } catch (Exception e) {
      return false;
    }
  }

  public static boolean selinux() {
    return Files.exists(Path.of("/sys/fs/selinux/enforce"));
  }
}
