package dev.berth.cgroups.fs;

import dev.berth.cgroups.CgroupException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reading and writing cgroupfs control files: one open, one read or write, close. */
public final class CgroupFiles {
    private CgroupFiles() {}

    /** Unlimited, as v1 prints it (PAGE_COUNTER_MAX * 4096) is mapped to Long.MAX_VALUE by {@link #parseLimit}. */
    public static final long V1_UNLIMITED_MIN = 9223372036854771712L;

    public static boolean exists(Path file) { return Files.exists(file); }

    /** Content without the trailing newline, or null if the file does not exist. */
    public static String readOrNull(Path file) {
        try {
            return strip(readRaw(file));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw CgroupException.io("read", file, e);
        }
    }

    public static String read(Path file) {
        try {
            return strip(readRaw(file));
        } catch (IOException e) {
            throw CgroupException.io("read", file, e);
        }
    }

    /**
     * open, read until EOF, close: a third of the cost of Files.readString on cgroupfs (which stats
     * the file and gets a size of 4096 whatever the content).
     */
    private static String readRaw(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(512);
            while (ch.read(buf) >= 0) {
                if (!buf.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(buf.capacity() * 4);
                    buf.flip();
                    bigger.put(buf);
                    buf = bigger;
                }
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
        }
    }

    private static String strip(String s) {
        int n = s.length();
        while (n > 0 && (s.charAt(n - 1) == '\n' || s.charAt(n - 1) == ' ')) n--;
        return s.substring(0, n);
    }

    /** A number, "max" (Long.MAX_VALUE); 0 if the file is absent or empty. */
    public static long readLong(Path file) {
        String s = readOrNull(file);
        return s == null || s.isEmpty() ? 0 : parseLimit(s);
    }

    public static long parseLimit(String s) {
        s = s.trim();
        if (s.equals("max")) return Long.MAX_VALUE;
        try {
            long v = Long.parseLong(s);
            return v >= V1_UNLIMITED_MIN ? Long.MAX_VALUE : v;
        } catch (NumberFormatException e) {
            // uint64 beyond Long: unlimited for our purposes
            if (s.matches("\\d+")) return Long.MAX_VALUE;
            throw e;
        }
    }

    /** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
    public static Map<String, Long> readKeyValues(Path file) {
        Map<String, Long> m = new LinkedHashMap<>();
        String s = readOrNull(file);
        if (s == null) return m;
        for (String line : s.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp <= 0) continue;
            try {
                m.put(line.substring(0, sp), parseLimit(line.substring(sp + 1)));
            } catch (NumberFormatException ignored) {
                // not a number: skip
            }
        }
        return m;
    }

    public static List<Integer> readPids(Path file) {
        String s = readOrNull(file);
        List<Integer> out = new ArrayList<>();
        if (s == null || s.isEmpty()) return out;
        for (String line : s.split("\n")) if (!line.isBlank()) out.add(Integer.parseInt(line.trim()));
        return out;
    }

    /** O_WRONLY|O_TRUNC (truncation is a no-op on cgroupfs and keeps a fake tree's regular files exact); never O_CREAT. */
    private static final Set<StandardOpenOption> WRITE = Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);

    /**
     * One write(2) of {@code value}; the kernel's error becomes a {@link CgroupException} naming file and value.
     * A FileChannel with a constant option set: what Files.write does minus its OutputStream wrapping and
     * per-call option parsing (a cgroup create makes ~25 of these).
     */
    public static void write(Path file, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(file, WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) ch.write(buf);
        } catch (IOException e) {
            throw CgroupException.writeFailed(file, value, e);
        }
        List<String[]> rec = RECORDING.get();
        if (rec != null) rec.add(new String[] {file.toString(), value});
    }

    private static final ThreadLocal<List<String[]>> RECORDING = new ThreadLocal<>();

    /**
     * Runs {@code action} and returns the control-file writes it made, in order ({file, value}).
     * The runtime replays a container's recorded creation for later containers of the same config.
     */
    public static List<String[]> recording(Runnable action) {
        List<String[]> rec = new java.util.ArrayList<>();
        List<String[]> outer = RECORDING.get();
        RECORDING.set(rec);
        try {
            action.run();
        } finally {
            RECORDING.set(outer);
        }
        return rec;
    }

    /** Parses a cpu/mem list like "0-3,5" into indexes. */
    public static List<Integer> parseList(String list) {
        List<Integer> out = new ArrayList<>();
        if (list == null) return out;
        list = list.trim();
        if (list.isEmpty()) return out;
        for (String part : list.split(",")) {
            part = part.trim();
            int dash = part.indexOf('-');
            if (dash < 0) {
                out.add(Integer.parseInt(part));
            } else {
                int a = Integer.parseInt(part.substring(0, dash)), b = Integer.parseInt(part.substring(dash + 1));
                if (b < a) throw new NumberFormatException("range " + part + " is reversed");
                for (int i = a; i <= b; i++) out.add(i);
            }
        }
        return out;
    }
}
