package dev.berth.cli.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.ops.ListOp;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", aliases = "ls", description = "List containers.")
public class ListCommand implements Callable<Integer> {
  @ParentCommand GlobalOptions global;

  @Option(names = {"--format", "-f"}, description = "table or json", defaultValue = "table")
  String format;

  @Option(names = {"--quiet", "-q"}, description = "ids only")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    List<ObjectNode> all = ListOp.list(global.context());
    if (quiet) {
      all.forEach(o -> System.out.println(o.get("id").asText()));
    } else if (format.equals("json")) {
      System.out.println(new ObjectMapper().writeValueAsString(all));
    } else {
      System.out.printf("%-20s %-8s %-10s %-40s %-30s %s%n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (ObjectNode o : all) {
        System.out.printf("%-20s %-8d %-10s %-40s %-30s %s%n", o.get("id").asText(), o.get("pid").asInt(),
            o.get("status").asText(), o.get("bundle").asText(), o.get("created").asText(), o.get("owner").asText());
      }
    }
    return 0;
  }
}
