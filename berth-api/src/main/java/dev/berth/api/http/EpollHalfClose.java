package dev.berth.api.http;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import java.lang.reflect.Field;

/**
 * A work-around for Netty 4.2.17's epoll transport on a half-closed connection (the docker CLI
 * half-closes a hijacked attach as soon as it has no more stdin to send): once the input is shut
 * down, the channel's epoll interest becomes empty and Netty removes the fd from the epoll set
 * ({@code EPOLL_CTL_DEL}) but keeps its registration marked as added; the next write that fills the
 * socket's buffer asks for EPOLLOUT with {@code EPOLL_CTL_MOD}, which fails with ENOENT, and Netty
 * shuts the output down: the rest of the container's output was lost. {@link #repair} (on the
 * channel's event loop) marks such a registration as pending again, so that Netty adds the fd anew
 * when it next needs an event. Does nothing on another transport or Netty version (the fields are
 * looked up once; if they are not there, never again).
 */
final class EpollHalfClose {
  private static final Field REGISTRATION, OPS, OPS_VALUE, STATE, WRAPPED;
  private static final Object PENDING, ADDED;

  static {
    Field reg = null, ops = null, value = null, state = null, wrapped = null;
    Object pending = null, added = null;
    try {
      Class<?> ch = Class.forName("io.netty.channel.epoll.AbstractEpollChannel");
      reg = ch.getDeclaredField("registration");
      ops = ch.getDeclaredField("ops");
      value = Class.forName("io.netty.channel.epoll.EpollIoOps").getDeclaredField("value");
      state = Class.forName("io.netty.channel.epoll.EpollIoHandler$DefaultEpollIoRegistration").getDeclaredField("state");
      // the event loop hands out its registrations wrapped
      wrapped = Class.forName("io.netty.channel.SingleThreadIoEventLoop$IoRegistrationWrapper").getDeclaredField("registration");
      for (Field f : new Field[] {reg, ops, value, state, wrapped}) f.setAccessible(true);
      for (Object c : Class.forName("io.netty.channel.epoll.EpollIoHandler$RegistrationState").getEnumConstants()) {
        if (c.toString().equals("Pending")) pending = c;
        if (c.toString().equals("Added")) added = c;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      reg = null;
    }
    boolean ok = reg != null && pending != null && added != null;
    REGISTRATION = ok ? reg : null;
    OPS = ok ? ops : null;
    OPS_VALUE = ok ? value : null;
    STATE = ok ? state : null;
    WRAPPED = ok ? wrapped : null;
    PENDING = pending;
    ADDED = added;
  }

  private EpollHalfClose() {}

  /** On the event loop: a channel whose input is shut down and whose fd Netty took out of epoll gets re-added at its next need. */
  static void repair(Channel ch) {
    if (REGISTRATION == null || !(ch instanceof DuplexChannel d) || !d.isInputShutdown()) return;
    if (!REGISTRATION.getDeclaringClass().isInstance(ch)) return;
    try {
      Object reg = REGISTRATION.get(ch);
      if (reg != null && WRAPPED.getDeclaringClass().isInstance(reg)) reg = WRAPPED.get(reg);
      Object ops = OPS.get(ch);
      if (reg == null || ops == null || !STATE.getDeclaringClass().isInstance(reg)) return;
      if (OPS_VALUE.getInt(ops) == 0 && STATE.get(reg) == ADDED) STATE.set(reg, PENDING);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // another layout: leave it
    }
  }

  /** Before a write from another thread: the repair runs on the event loop ahead of the write. */
  static void beforeWrite(Channel ch) {
    if (REGISTRATION == null || !(ch instanceof DuplexChannel d) || !d.isInputShutdown()) return;
    ch.eventLoop().execute(() -> repair(ch));
  }
}
