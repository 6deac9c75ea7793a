import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;

/**
 * The JVM side of {@code berth bench}, run the same way natively and inside a berth container:
 * <ul>
 * <li>{@code cpu SECONDS}: a deterministic integer workload (an xorshift stream folded through a
 *   small open-addressing table, 1 Mi steps per op) after 1 s of warm-up; prints {@code ops/s: N}.
 * <li>{@code server PORT}: a TCP echo server (one thread per connection).
 * <li>{@code client HOST PORT SECONDS SIZE}: one connection, closed loop: send SIZE bytes, read
 *   them back, for SECONDS after 0.5 s of warm-up; prints the round trips' p50 and p99 in µs and
 *   the round trips per second.
 * </ul>
 */
public class BenchProbe {
    public static void main(String[] a) throws Exception {
        switch (a.length == 0 ? "" : a[0]) {
            case "cpu" -> cpu(Double.parseDouble(a[1]));
            case "server" -> server(Integer.parseInt(a[1]));
            case "client" -> client(a[1], Integer.parseInt(a[2]), Double.parseDouble(a[3]), Integer.parseInt(a[4]));
            default -> { System.err.println("usage: BenchProbe cpu SECONDS | server PORT | client HOST PORT SECONDS SIZE"); System.exit(2); }
        }
    }

    static long sink;

    static long op(long seed) {
        int[] table = new int[4096];
        long x = seed | 1;
        for (int i = 0; i < (1 << 20); i++) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
            int h = (int) (x ^ (x >>> 32)) & 4095;
            table[h] += (int) x;
            x += table[(h + 1) & 4095];
        }
        return x;
    }

    static void cpu(double seconds) {
        long end = System.nanoTime() + 1_000_000_000L;
        long s = 1;
        while (System.nanoTime() < end) s = op(s);
        long ops = 0, t0 = System.nanoTime(), stop = t0 + (long) (seconds * 1e9), t;
        do { s = op(s); ops++; t = System.nanoTime(); } while (t < stop);
        sink = s;
        System.out.printf("ops/s: %.3f%n", ops / ((t - t0) / 1e9));
        System.out.println("checksum: " + (s & 0xffff));
    }

    static void server(int port) throws Exception {
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(port));
            System.out.println("listening " + port);
            System.out.flush();
            while (true) {
                Socket c = ss.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (c) {
                        c.setTcpNoDelay(true);
                        InputStream in = c.getInputStream();
                        OutputStream out = c.getOutputStream();
                        byte[] b = new byte[65536];
                        for (int n; (n = in.read(b)) > 0; ) out.write(b, 0, n);
                    } catch (Exception e) { /* the client left */ }
                });
            }
        }
    }

    static void client(String host, int port, double seconds, int size) throws Exception {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            byte[] msg = new byte[size], back = new byte[size];
            Arrays.fill(msg, (byte) 'x');
            long warm = System.nanoTime() + 500_000_000L;
            while (System.nanoTime() < warm) { out.write(msg); in.readFully(back); }
            long[] rt = new long[1 << 16];
            int n = 0;
            long t0 = System.nanoTime(), stop = t0 + (long) (seconds * 1e9), t = t0;
            while (t < stop) {
                long a = System.nanoTime();
                out.write(msg);
                in.readFully(back);
                t = System.nanoTime();
                if (n == rt.length) rt = Arrays.copyOf(rt, n * 2);
                rt[n++] = t - a;
            }
            long[] r = Arrays.copyOf(rt, n);
            Arrays.sort(r);
            System.out.printf("round trips: %d%np50_us: %.3f%np99_us: %.3f%nrt/s: %.1f%n", n, r[(int) (n * 0.50)] / 1e3,
                    r[Math.min(n - 1, (int) (n * 0.99))] / 1e3, n / ((t - t0) / 1e9));
        }
    }
}
