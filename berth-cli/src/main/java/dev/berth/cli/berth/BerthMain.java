package dev.berth.cli.berth;

import dev.berth.image.api.ImageException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * bin/berth: the image commands. Each command is a thin file in this package: parse, call one
 * {@link dev.berth.image.Images} method, print. Errors are one line {@code berth: MESSAGE} and an
 * exit code chosen in {@link #exitCode} (the one place that maps error kinds).
 */
@Command(name = "berth", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "berth 0.1.0",
        description = "Container images: pull, push, load, save, import, list, inspect, prune, verify; bundles from images, diff, commit.")
public final class BerthMain implements Runnable {
    /** The commands, in help order. Only the one invoked is given to picocli (see {@link #run}). */
    static final List<Class<?>> COMMANDS = List.of(PullCommand.class, PushCommand.class, LoginCommand.class, LogoutCommand.class, LoadCommand.class, SaveCommand.class,
            ImportCommand.class, ImagesCommand.class, InspectCommand.class, HistoryCommand.class, TagCommand.class, RmCommand.class,
            PruneCommand.class, VerifyCommand.class, BundleCommand.class, DiffCommand.class, CommitCommand.class,
            PedigreeCommand.class, DriftCommand.class, BenchCommand.class, DebugCommand.class, NetworkCommand.class,
            CommandLine.HelpCommand.class);

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try berth --help)"); }

    public static void main(String[] args) {
        java.io.Console c = System.console();
        terminal = c != null && c.isTerminal();
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    private static volatile boolean terminal;

    /** Whether bin/berth's stdout is a terminal (set by main; tests run as if not). */
    static boolean stdoutIsTerminal() { return terminal; }

    /** Runs one command line; used by main and by tests. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new BerthMain());
        // picocli builds a command's model by reflection, interpreted (its classes are too old for
        // the AOT cache): only the command named on the line is built; all for help or a typo.
        Class<?> only = commandNamed(args);
        for (Class<?> c : only != null ? List.<Class<?>>of(only) : COMMANDS) cl.addSubcommand(new CommandLine(c));
        // bundle create IMAGE DIR COMMAND ARGS...: options after the image belong to the command, as with docker create
        CommandLine bundle = cl.getSubcommands().get("bundle");
        if (bundle != null) bundle.getSubcommands().get("create").setStopAtPositional(true);
        // debug CONTAINER CMD ARGS...: options after the container belong to the command
        CommandLine debug = cl.getSubcommands().get("debug");
        if (debug != null) debug.setStopAtPositional(true);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            err.println("berth: " + oneLine(ex));
            return exitCode(ex);
        });
        cl.setParameterExceptionHandler((ex, args2) -> {
            err.println("berth: " + ex.getMessage());
            return 2;
        });
        return cl.execute(args);
    }

    /** The command class the first argument names (name or alias), or null (none, an option, help, unknown). */
    static Class<?> commandNamed(String[] args) {
        if (args.length == 0 || args[0].equals("help")) return null;
        for (Class<?> c : COMMANDS) {
            Command a = c.getAnnotation(Command.class);
            if (a.name().equals(args[0]) || List.of(a.aliases()).contains(args[0])) return c;
        }
        return null;
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null) m = ex.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Exit codes: 2 bad input, 3 not found, 4 corrupt or unsafe content, 5 registry, 1 anything else. */
    static int exitCode(Throwable ex) {
        return switch (ex) {
            case ImageException.InvalidReference e -> 2;
            case ImageException.NotFound e -> 3;
            case ImageException.DigestMismatch e -> 4;
            case ImageException.UnsafeArchive e -> 4;
            case ImageException.BadManifest e -> 4;
            case ImageException.Registry e -> 5;
            default -> 1;
        };
    }
}
