package dev.berth.network;

/** An address that cannot be handed out (exhausted, taken, outside the subnet): the message says which. */
public final class IpamException extends RuntimeException {
  public IpamException(String message) {
    super(message);
  }
}
