package dev.berth.api.tc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * What a Testcontainers user writes, run in a JVM of its own (so that DOCKER_HOST, HOME and the
 * Ryuk switch are this process's environment, not the test runner's): start a container from an
 * image, wait for its log line, exec in it, copy a file in and out, read its logs, stop it. Prints
 * one line per step for {@link ThroughTestcontainersIT} to check; any failure is a non-zero exit.
 */
public final class TestcontainersProbe {
  public static void main(String[] args) throws Exception {
    String image = args[0];
    var client = DockerClientFactory.instance();
    System.out.println("server " + client.getInfo().getServerVersion() + " api " + client.getActiveApiVersion());
    try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
        .withCommand("sh", "-c", "echo tc-ready; exec sleep 300")
        .withEnv("GREETING", "hello from berth")
        .withLabel("dev.berth.test", "testcontainers")
        .waitingFor(Wait.forLogMessage(".*tc-ready.*\\n", 1))) {
      c.start();
      System.out.println("started " + c.getContainerId() + " running " + c.isRunning());
      ExecResult r = c.execInContainer("sh", "-c", "echo $GREETING; exit 3");
      System.out.println("exec exit " + r.getExitCode() + " out " + r.getStdout().strip());
      c.copyFileToContainer(Transferable.of("copied in\n".getBytes(StandardCharsets.UTF_8)), "/tmp/in.txt");
      System.out.println("cat " + c.execInContainer("cat", "/tmp/in.txt").getStdout().strip());
      Path out = Files.createTempFile("tc", ".txt");
      c.copyFileFromContainer("/tmp/in.txt", out.toString());
      System.out.println("copied out " + Files.readString(out).strip());
      System.out.println("logs " + c.getLogs().strip());
      System.out.println("inspect label " + c.getContainerInfo().getConfig().getLabels().get("dev.berth.test"));
    }
    System.out.println("closed");
  }
}
