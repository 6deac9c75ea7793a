package dev.berth.cli.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgsTest {
  static final List<Flag> FLAGS = List.of(Flag.value("--bundle", "-b", "dir", ""), Flag.bool("--detach", "-d", ""),
      Flag.value("--env", "-e", "kv", ""));

  static Args parse(boolean stop, String... args) {
    return Args.parse("run", FLAGS, args, 0, stop);
  }

  @Test
  void runcSpellingsOfFlags() {
    Args a = parse(true, "--bundle", "/b", "-d", "id");
    assertThat(a.string("--bundle")).isEqualTo("/b");
    assertThat(a.bool("--detach")).isTrue();
    assertThat(a.id()).isEqualTo("id");
    assertThat(parse(true, "--bundle=/x", "id").string("--bundle")).isEqualTo("/x");
    assertThat(parse(true, "-b", "/y", "id").string("--bundle")).isEqualTo("/y");
    assertThat(parse(true, "-bundle", "/z", "id").string("--bundle")).as("urfave accepts one dash").isEqualTo("/z");
    assertThat(parse(true, "--detach=false", "id").bool("--detach")).isFalse();
    assertThat(parse(true, "-e", "A=1", "--env", "B=2", "id").strings("--env")).containsExactly("A=1", "B=2");
  }

  @Test
  void flagsEndAtTheFirstPositionalWhenAsked() {
    Args exec = parse(true, "-d", "id", "sh", "-c", "echo -d");
    assertThat(exec.positionals()).containsExactly("id", "sh", "-c", "echo -d");
    Args all = parse(false, "id", "-d");
    assertThat(all.bool("--detach")).isTrue();
    assertThat(parse(true, "--", "-weird-id").id()).isEqualTo("-weird-id");
  }

  @Test
  void errorsNameTheProblem() {
    assertThatThrownBy(() -> parse(true, "--nope", "id")).isInstanceOf(UsageException.class)
        .hasMessage("run: unknown flag --nope");
    assertThatThrownBy(() -> parse(true, "--bundle")).hasMessage("run: --bundle needs a value");
    assertThatThrownBy(() -> parse(true, "--detach=maybe", "id")).hasMessage("run: --detach takes true or false");
    assertThatThrownBy(() -> parse(true).id()).hasMessage("run: missing <container-id>");
  }

  @Test
  void globalFlagsThenCommand() throws Exception {
    // The whole command line: unknown command and help are answered without a container.
    assertThat(Runc.execute("--root", "/nonexistent-berth-root", "frobnicate")).isEqualTo(1);
    assertThat(Runc.execute("--version")).isZero();
    assertThat(Runc.execute("state", "--help")).isZero();
  }
}
