package dev.berth.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Network: iperf3 TCP throughput, host loopback vs a berth container over a bridge. The engine's
 * runtime (berth-runc) takes a network namespace by path and does not wire networks itself, so the
 * bench builds the same wiring berthd's bridge networks use, with iproute2: a network namespace of
 * its own, a veth pair with one end in it and the other on a bridge holding the gateway address,
 * all with names and a /24 unique to this run, removed at the end. The iperf3 server runs on the
 * host; the client natively on 127.0.0.1 and inside the container to the bridge's address.
 */
final class NetPhase {
    private NetPhase() {}

    static PhaseResult run(Context ctx) {
        PhaseResult r = new PhaseResult("net");
        if (Proc.which("iperf3") == null) return PhaseResult.skip("net", "iperf3 not installed (apt-get install iperf3)");
        if (Proc.which("ip") == null) return PhaseResult.skip("net", "ip (iproute2) not installed");
        long pid = ProcessHandle.current().pid();
        String ns = ctx.tag + "net", br = "bbr" + pid, vh = "bbh" + pid, vc = "bbc" + pid;
        String subnet = freeSubnet(pid);
        String gw = subnet + ".1", addr = subnet + ".2";
        ctx.onClose(() -> {
            Proc.run(30, "ip", "link", "del", vh);
            Proc.run(30, "ip", "link", "del", br);
            Proc.run(30, "ip", "netns", "del", ns);
        });
        for (String line : List.of("ip netns add " + ns, "ip link add " + br + " type bridge", "ip addr add " + gw + "/24 dev " + br, "ip link set " + br + " up",
                "ip link add " + vh + " type veth peer name " + vc, "ip link set " + vh + " master " + br, "ip link set " + vh + " up",
                "ip link set " + vc + " netns " + ns, "ip -n " + ns + " link set lo up", "ip -n " + ns + " addr add " + addr + "/24 dev " + vc,
                "ip -n " + ns + " link set " + vc + " up", "ip -n " + ns + " route add default via " + gw))
            Proc.run(30, List.of(line.split(" "))).check();
        int port = freePort();
        int secs = ctx.quick ? 2 : 10, rounds = ctx.rounds(3, 7);
        Process server;
        try {
            server = new ProcessBuilder("iperf3", "-s", "-p", String.valueOf(port)).redirectErrorStream(true)
                    .redirectOutput(ctx.work.resolve("iperf3-server.log").toFile()).start();
        } catch (IOException e) { throw new BenchException("iperf3 -s: " + e.getMessage()); }
        ctx.onClose(() -> { server.destroy(); try { server.waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } });
        // The server answers once it listens.
        for (int i = 0; i < 100 && Proc.run(10, "sh", "-c", "ss -ltn | grep -q ':" + port + " '").exit() != 0; i++) sleep(100);
        List<String> loop = List.of("/usr/bin/iperf3", "-c", "127.0.0.1", "-p", String.valueOf(port), "-t", String.valueOf(secs), "-J");
        List<String> bridged = List.of("/usr/bin/iperf3", "-c", gw, "-p", String.valueOf(port), "-t", String.valueOf(secs), "-J");
        Path bundle = Bundles.create(ctx, ctx.work.resolve("bundle-net"), bridged, List.of("/usr/bin/iperf3"), c -> { Bundles.netns(c, "/run/netns/" + ns); Bundles.tmpfs(c, "/tmp"); });   // iperf3 writes a temp file
        Containers cs = new Containers(ctx, "net");
        List<Double> host = new ArrayList<>(), con = new ArrayList<>();
        Figure f = new Figure("net", "Network: iperf3 TCP throughput (1 stream, " + secs + " s), Gbit/s", "ratio", "Gbit/s");
        f.loadBefore = Machine.loadAverage();
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 2; k++) {
                boolean native_ = (k == 0) == (i % 2 == 0);
                String out = native_ ? Proc.run(120, loop).check().out() : cs.run(bundle, 120).out();
                (native_ ? host : con).add(gbits(out));
            }
            ctx.progress("net", String.format("round %d/%d: loopback %.2f, container over the bridge %.2f Gbit/s", i + 1, rounds, host.getLast(), con.getLast()));
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        Figure.Series h = new Figure.Series("host loopback", String.join(" ", loop), "Gbit/s", host);
        Figure.Series c = new Figure.Series("container → host over veth + bridge", ctx.berthRunc() + " run (netns " + ns + "): " + String.join(" ", bridged), "Gbit/s", con);
        f.add(h).add(c).ratio("container over bridge / loopback", c, h);
        f.note("server: iperf3 -s on the host; rounds interleaved, order alternating; higher is better");
        f.note("wiring built by the bench with iproute2 (berth-runc joins a netns by path; berthd's bridge networks are not used here): bridge " + br + " "
                + gw + "/24, veth " + vh + "/" + vc + ", netns " + ns);
        r.figures.add(f);
        String noJvm = JvmProbe.unavailable(ctx);
        if (noJvm != null) r.skipped.add("TCP request/response latency: " + noJvm);
        else {
            try {
                r.figures.add(JvmProbe.latency(ctx, ns, gw));
            } catch (BenchException e) {   // keeps iperf3's figure, says why
                r.skipped.add("TCP request/response latency failed: " + e.getMessage());
            }
        }
        r.skipped.add("through a published port (DNAT): not measured by this phase");
        return r;
    }

    static double gbits(String out) {
        try {
            JsonNode j = Bundles.JSON.readTree(out);
            if (j.has("error")) throw new BenchException("iperf3: " + j.get("error").asText());
            return j.get("end").get("sum_received").get("bits_per_second").asDouble() / 1e9;
        } catch (IOException | NullPointerException e) {
            throw new BenchException("unreadable iperf3 output: " + Proc.tail(out));
        }
    }

    /** A 10.x.y.0/24 that no interface or route here uses (other runs and engines share the machine). */
    static String freeSubnet(long pid) {
        String routes = Proc.run(30, "ip", "-4", "route", "show", "table", "all").out() + Proc.run(30, "ip", "-4", "addr").out();
        for (int i = 0; i < 2000; i++) {
            int x = 160 + (int) ((pid / 250 + i / 250) % 60), y = (int) ((pid + i) % 250) + 1;
            String s = "10." + x + "." + y;
            if (!routes.contains(s + ".")) return s;
        }
        throw new BenchException("no free 10.x.y.0/24 subnet found");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); } catch (IOException e) { throw new BenchException(e.getMessage()); }
    }

    static void sleep(long ms) { try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } }
}
