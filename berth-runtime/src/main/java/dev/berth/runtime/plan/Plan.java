package dev.berth.runtime.plan;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The compact form handed to berth-launch (docs/plan-format.md): a list of tagged records of
 * byte-string fields. Built in order; {@link #encode} gives the wire bytes.
 */
public final class Plan {
  private record Rec(PlanTag tag, List<byte[]> fields) {}

  private final List<Rec> records = new ArrayList<>();

  public Plan add(PlanTag tag, Object... fields) {
    List<byte[]> f = new ArrayList<>(fields.length);
    for (Object o : fields) f.add(bytes(o));
    records.add(new Rec(tag, f));
    return this;
  }

  public Plan add(PlanTag tag, List<?> fields) {
    return add(tag, fields.toArray());
  }

  private static byte[] bytes(Object o) {
    if (o instanceof byte[] b) return b;
    if (o == null) return new byte[0];
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Appends every record of {@code other}, in order. */
  public Plan append(Plan other) {
    records.addAll(other.records);
    return this;
  }

  public boolean has(PlanTag tag) {
    for (Rec r : records) if (r.tag == tag) return true;
    return false;
  }

  /** Text of the first field of every record with this tag (for tests and diagnostics). */
  public List<List<String>> get(PlanTag tag) {
    List<List<String>> out = new ArrayList<>();
    for (Rec r : records) {
      if (r.tag != tag) continue;
      List<String> fs = new ArrayList<>();
      for (byte[] b : r.fields) fs.add(new String(b, StandardCharsets.UTF_8));
      out.add(fs);
    }
    return out;
  }

  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    out.writeBytes("BERTHPL1".getBytes(StandardCharsets.US_ASCII));
    le32(out, records.size());
    for (Rec r : records) {
      le16(out, r.tag.number);
      le16(out, r.fields.size());
      for (byte[] f : r.fields) {
        le32(out, f.length);
        out.writeBytes(f);
        out.write(0);
      }
    }
    return out.toByteArray();
  }

  private static void le16(ByteArrayOutputStream out, int v) {
    out.write(v & 0xff);
    out.write((v >>> 8) & 0xff);
  }

  private static void le32(ByteArrayOutputStream out, int v) {
    le16(out, v & 0xffff);
    le16(out, v >>> 16);
  }
}
