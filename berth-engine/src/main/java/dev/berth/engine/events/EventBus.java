package dev.berth.engine.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The engine's events, in Docker's model (GET /events): every part of the engine that changes
 * something publishes here (container create/start/die/destroy/health_status…, image pull/tag/
 * delete…, network create/connect…, volume create…), and subscribers — the API's event streams,
 * the journal — receive each event in publishing order. Publishing never blocks on a subscriber:
 * a subscriber must hand the event off (a queue) if it does anything slow.
 */
public final class EventBus {

  /**
   * One event: {@code type} is Docker's Type (container, image, volume, network, daemon, plugin),
   * {@code action} its Action ("start", "die", "health_status: healthy", …), {@code actorId} the
   * full id, {@code attributes} Actor.Attributes (name, image, exitCode, …), {@code timeNanos}
   * since the epoch.
   */
  public record Event(String type, String action, String actorId, Map<String, String> attributes, long timeNanos) {
    public Event {
      attributes = Map.copyOf(attributes);
    }
  }

  private final List<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();
  private final Object order = new Object();

  /** Publishes one event now, to every subscriber, in order with every other publish. */
  public void publish(String type, String action, String actorId, Map<String, String> attributes) {
    java.time.Instant now = java.time.Instant.now();
    long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    publish(new Event(type, action, actorId, attributes, nanos));
  }

  public void publish(Event e) {
    synchronized (order) {
      for (Consumer<Event> s : subscribers) {
        try {
          s.accept(e);
        } catch (RuntimeException ignored) {
          // one broken subscriber never stops the others or the publisher
        }
      }
    }
  }

  /** Adds a subscriber; closing the handle removes it. */
  public AutoCloseable subscribe(Consumer<Event> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  /** For tests: how many subscribers are attached. */
  public int subscribers() { return new ArrayList<>(subscribers).size(); }
}
