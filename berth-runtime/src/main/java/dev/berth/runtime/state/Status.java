package dev.berth.runtime.state;

/** The runtime-spec statuses (plus paused, as runc reports it). */
public enum Status {
  CREATING, CREATED, RUNNING, PAUSED, STOPPED;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String toString() {
    return json();
  }
}
