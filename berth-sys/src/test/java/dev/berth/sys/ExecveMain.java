package dev.berth.sys;

import java.nio.charset.StandardCharsets;

/**
 * Run in a child JVM by {@link ExecveTest}: the runtime's hot path. Writes a "plan" into a memfd,
 * keeps it across execve, and execs a shell that reads it back.
 */
public final class ExecveMain {
    private ExecveMain() {
    }

    public static void main(String[] args) {
        int plan = Linux.memfdCreate("plan", Linux.MFD_CLOEXEC);
        Linux.writeFully(plan, "the plan".getBytes(StandardCharsets.UTF_8));
        Linux.clearCloexec(plan);
        int closed = Linux.memfdCreate("closed-on-exec", Linux.MFD_CLOEXEC);
        String script = "cat /proc/self/fd/" + plan + "; echo; echo \"$0 $1 $BERTH_TEST\"; "
                + "if [ -e /proc/self/fd/" + closed + " ]; then echo leaked; else echo closed; fi";
        Linux.execve("/bin/sh", new String[] {"sh", "-c", script, "arg0", "arg1"},
                new String[] {"PATH=/usr/bin:/bin", "BERTH_TEST=env-ok"});
        throw new AssertionError("execve returned");
    }
}
