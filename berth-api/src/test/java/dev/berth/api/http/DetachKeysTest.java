package dev.berth.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DetachKeysTest {
  @Test
  void parsedAsMobysToBytes() {
    assertThat(DetachKeys.toBytes("ctrl-p,ctrl-q")).containsExactly(16, 17);
    assertThat(DetachKeys.toBytes("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_")).containsExactly(0, 27, 28, 29, 30, 31);
    assertThat(DetachKeys.toBytes("a,ctrl-x,DEL")).containsExactly('a', 24, 127);
    assertThat(DetachKeys.of(null, "detach")).containsExactly(16, 17);
    assertThat(DetachKeys.of("", "detach")).containsExactly(16, 17);
    assertThatThrownBy(() -> DetachKeys.toBytes("ctrl-zz")).hasMessage("Unknown character: 'ctrl-zz'");
    assertThatThrownBy(() -> DetachKeys.of("ctrl-zz", "detach")).isInstanceOf(ApiException.class)
        .hasMessage("Invalid detach keys (ctrl-zz) provided");
    assertThatThrownBy(() -> DetachKeys.of("x,,y", "escape")).hasMessage("Invalid escape keys (x,,y) provided");
  }

  @Test
  void scannerHoldsBackAPartialMatchAndStopsAtTheSequence() {
    DetachKeys.Scanner s = new DetachKeys.Scanner(new byte[] {16, 17});
    assertThat(s.feed(new byte[] {'a', 16})).containsExactly('a');
    assertThat(s.feed(new byte[] {'b'})).as("not the sequence: the held key goes through").containsExactly(16, 'b');
    assertThat(s.feed(new byte[] {16, 16})).containsExactly(16);
    assertThat(s.detached()).isFalse();
    assertThat(s.feed(new byte[] {17, 'z'})).isEmpty();
    assertThat(s.detached()).isTrue();
    assertThat(s.feed(new byte[] {'q'})).as("nothing after the detach").isEmpty();
    DetachKeys.Scanner one = new DetachKeys.Scanner(new byte[] {24});
    assertThat(one.feed(new byte[] {'x', 24, 'y'})).containsExactly('x');
    assertThat(one.detached()).isTrue();
  }
}
