package dev.berth.api.system;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.BuildInfo;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.ApiVersion;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The System group of the Engine API 1.50: {@code GET/HEAD /_ping}, {@code GET /version},
 * {@code GET /info}, in the shapes of moby's swagger.yaml (SystemPing, SystemVersion, SystemInfo).
 */
public final class SystemHandler extends ResourceHandler {
    /**
     * Builder-Version of /_ping: "1" (classic). berthd has no BuildKit session endpoint, so a
     * client must not be told to use one.
     */
    static final String BUILDER_VERSION = "1";
    private static final DateTimeFormatter RFC3339_NANO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnnXXX");

    private final SystemBackend backend;

    public SystemHandler(SystemBackend backend) { this.backend = backend; }

    @Override
    protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) {
        if (req.isGet("/_ping")) {
            ping(ctx, req);
        } else if (req.isGet("/version")) {
            Responses.json(ctx, req, HttpResponseStatus.OK, version());
        } else if (req.isGet("/info")) {
            Responses.sendChunked(ctx, req, HttpResponseStatus.OK, Responses.JSON, Responses.jsonBytes(info()));
        } else {
            return false;
        }
        return true;
    }

    private static void ping(ChannelHandlerContext ctx, ApiRequest req) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("Builder-Version", BUILDER_VERSION);
        h.set("Docker-Experimental", "false");
        h.set("Swarm", "inactive");
        h.set("Cache-Control", "no-cache, no-store, must-revalidate");
        h.set("Pragma", "no-cache");
        Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, "OK".getBytes(StandardCharsets.US_ASCII), h);
    }

    /** GoVersion honestly: berthd is Java; the field names the runtime that runs it. */
    static String runtimeVersion() {
        return "java" + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")";
    }

    /** GOARCH naming of the JVM's architecture (amd64, arm64). */
    static String goArch() {
        String a = System.getProperty("os.arch", "");
        return switch (a) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> a;
        };
    }

    ObjectNode version() {
        BuildInfo b = BuildInfo.CURRENT;
        SystemBackend.HostFacts host = backend.host();
        ObjectNode v = Json.object();
        v.putObject("Platform").put("Name", "berth");
        ArrayNode components = v.putArray("Components");
        ObjectNode engine = components.addObject().put("Name", "Engine").put("Version", b.version());
        engine.putObject("Details")
                .put("ApiVersion", ApiVersion.CURRENT)
                .put("Arch", goArch())
                .put("BuildTime", b.buildTime())
                .put("Experimental", "false")
                .put("GitCommit", b.gitCommit())
                .put("GoVersion", runtimeVersion())
                .put("KernelVersion", host.kernelVersion())
                .put("MinAPIVersion", ApiVersion.MINIMUM)
                .put("Os", "linux");
        v.put("Version", b.version());
        v.put("ApiVersion", ApiVersion.CURRENT);
        v.put("MinAPIVersion", ApiVersion.MINIMUM);
        v.put("GitCommit", b.gitCommit());
        v.put("GoVersion", runtimeVersion());
        v.put("Os", "linux");
        v.put("Arch", goArch());
        v.put("KernelVersion", host.kernelVersion());
        v.put("BuildTime", b.buildTime());
        return v;
    }

    ObjectNode info() {
        SystemBackend.HostFacts host = backend.host();
        SystemBackend.CgroupFacts cg = host.cgroup();
        SystemBackend.Counts n = backend.counts();
        SystemBackend.DaemonFacts d = backend.daemon();
        ObjectNode i = Json.object();
        i.put("ID", d.id());
        i.put("Containers", n.containers());
        i.put("ContainersRunning", n.running());
        i.put("ContainersPaused", n.paused());
        i.put("ContainersStopped", n.stopped());
        i.put("Images", n.images());
        i.put("Driver", "overlay2");
        ArrayNode driverStatus = i.putArray("DriverStatus");
        driverStatus.addArray().add("Backing Filesystem").add(d.backingFilesystem());
        driverStatus.addArray().add("Supports d_type").add("true");
        i.put("DockerRootDir", d.rootDir());
        ObjectNode plugins = i.putObject("Plugins");
        plugins.putArray("Volume").add("local");
        plugins.putArray("Network").add("host").add("null");
        plugins.putNull("Authorization");
        plugins.putArray("Log").add("json-file");
        i.put("MemoryLimit", cg.memoryLimit());
        i.put("SwapLimit", cg.swapLimit());
        if (cg.version().equals("1")) i.put("KernelMemoryTCP", cg.kernelMemoryTcp());
        i.put("CpuCfsPeriod", cg.cpuCfsPeriod());
        i.put("CpuCfsQuota", cg.cpuCfsQuota());
        i.put("CPUShares", cg.cpuShares());
        i.put("CPUSet", cg.cpuSet());
        i.put("PidsLimit", cg.pidsLimit());
        i.put("OomKillDisable", cg.oomKillDisable());
        i.put("IPv4Forwarding", host.ipv4Forwarding());
        i.put("Debug", false);
        i.put("NFd", 0);
        i.put("NGoroutines", 0);
        i.put("SystemTime", RFC3339_NANO.format(Instant.now().atOffset(ZoneOffset.UTC)));
        i.put("LoggingDriver", "json-file");
        i.put("CgroupDriver", "cgroupfs");
        i.put("CgroupVersion", cg.version());
        i.put("NEventsListener", 0);
        i.put("KernelVersion", host.kernelVersion());
        i.put("OperatingSystem", host.operatingSystem());
        i.put("OSVersion", host.osVersion());
        i.put("OSType", "linux");
        i.put("Architecture", host.architecture());
        i.put("IndexServerAddress", "https://index.docker.io/v1/");
        ObjectNode registry = i.putObject("RegistryConfig");
        registry.putArray("InsecureRegistryCIDRs");
        registry.putObject("IndexConfigs");
        registry.putArray("Mirrors");
        i.putArray("GenericResources");
        i.put("NCPU", host.ncpu());
        i.put("MemTotal", host.memTotal());
        i.put("HttpProxy", "");
        i.put("HttpsProxy", "");
        i.put("NoProxy", "");
        i.put("Name", host.hostname());
        i.putArray("Labels");
        i.put("ExperimentalBuild", false);
        i.put("ServerVersion", BuildInfo.CURRENT.version());
        // Containers are launched in process by berth-launch (no runc, no containerd, no shim).
        i.putObject("Runtimes").putObject("berth").put("path", "berth-launch");
        i.put("DefaultRuntime", "berth");
        ObjectNode swarm = i.putObject("Swarm");
        swarm.put("NodeID", "").put("NodeAddr", "").put("LocalNodeState", "inactive").put("ControlAvailable", false)
                .put("Error", "").putNull("RemoteManagers");
        i.put("LiveRestoreEnabled", false);
        i.put("Isolation", "");
        i.put("InitBinary", "");
        i.putObject("ContainerdCommit").put("ID", "");
        i.putObject("RuncCommit").put("ID", "");
        i.putObject("InitCommit").put("ID", "");
        i.putArray("SecurityOptions").add("name=seccomp,profile=builtin");
        i.putArray("CDISpecDirs");
        ArrayNode warnings = i.putArray("Warnings");
        if (!cg.swapLimit()) warnings.add("WARNING: No swap limit support");
        return i;
    }
}
