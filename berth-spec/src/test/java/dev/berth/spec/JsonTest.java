package dev.berth.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  static Object parse(String s) {
    return Json.parse(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @SuppressWarnings("unchecked")
  void parsesAllValueKinds() {
    Object v = parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\\\"y\\u00e9\\n\"], \"b\": {}, \"c\": []} ");
    Map<?, ?> m = (Map<?, ?>) v;
    assertThat((List<Object>) m.get("a")).containsExactly((Object) 1L, -2L, 3.5, 1000.0, true, false, null, "x\"yé\n");
    assertThat((Map<?, ?>) m.get("b")).isEmpty();
    assertThat(parse("\"\\ud83d\\ude00\"")).isEqualTo("😀");
    assertThat(parse("18446744073709551615")).isEqualTo(new BigInteger("18446744073709551615"));
    assertThat(parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(parse("\"ünïcödé\"")).isEqualTo("ünïcödé");
  }

  @Test
  void rejectsMalformedInputNamingLineAndColumn() {
    assertThatThrownBy(() -> parse("{\n  \"a\": tru }")).hasMessageStartingWith("malformed JSON at line 2 column 8");
    assertThatThrownBy(() -> parse("{\"a\": 1,}")).hasMessageContaining("member name expected");
    assertThatThrownBy(() -> parse("[1 2]")).hasMessageContaining("',' or ']' expected");
    assertThatThrownBy(() -> parse("\"abc")).hasMessageContaining("unterminated string");
    assertThatThrownBy(() -> parse("01")).hasMessageContaining("leading zero");
    assertThatThrownBy(() -> parse("{} x")).hasMessageContaining("trailing content");
    assertThatThrownBy(() -> parse("")).hasMessageContaining("empty document");
    assertThatThrownBy(() -> parse("\"a\tb\"")).hasMessageContaining("control character");
    assertThatThrownBy(() -> parse("[".repeat(100_000))).hasMessageContaining("nested too deeply");
  }

  @Test
  void numbersBeyondADoubleAreRefused() {
    // found by SpecFuzzTest: 1E2345678900 parsed as Infinity, which render() wrote as "Infinity"
    assertThatThrownBy(() -> parse("[1E2345678900]")).isInstanceOf(SpecException.class)
        .hasMessageContaining("line 1 column 2: number out of range");
    assertThatThrownBy(() -> parse("{\"a\": -1e309}")).hasMessageContaining("number out of range");
    assertThat(parse("[1e308, 1e-400]")).isEqualTo(List.of(1e308, 0.0));
  }

  @Test
  void escapedSurrogatesThatAreNoPairStayTwoCharacters() {
    assertThat(parse("\"\\udbff\\uffff\"")).isEqualTo("?\uffff");
    assertThat(parse("\"\\ud800\\u0041\"")).isEqualTo("?A");
    assertThat(parse("\"\\ud800\"")).isEqualTo("?");
  }

  @Test
  void renderRoundTrips() {
    String text = "{\"a\":[1,\"x\\\"\\n\",true,null],\"b\":{\"c\":2.5}}";
    assertThat(Json.render(parse(text))).isEqualTo(text);
    assertThat(parse(Json.pretty(parse(text)))).isEqualTo(parse(text));
  }
}
