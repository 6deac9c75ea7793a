package dev.berth.sys.seccomp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.berth.sys.Errno;
import dev.berth.sys.Linux;
import dev.berth.sys.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Compiles a runtime-spec seccomp profile to a BPF program with libseccomp, so that the native
 * launcher only has to install it.
 *
 * <p>Semantics follow runc's {@code libcontainer/seccomp}:
 * <ul>
 * <li>SCMP_ACT_ERRNO and SCMP_ACT_TRACE without {@code errnoRet} return EPERM; SCMP_ACT_KILL
 *     is SCMP_ACT_KILL_THREAD.</li>
 * <li>Syscall names libseccomp cannot resolve are skipped (a newer profile on an older
 *     libseccomp); a rule whose action equals the default action is skipped.</li>
 * <li>Conditions of one rule are ANDed in one libseccomp rule, unless two of them test the same
 *     argument: then each condition becomes a rule of its own (ORed), as runc does.</li>
 * <li>Flags map to SECCOMP_FILTER_FLAG_* bits; SCMP_ACT_NOTIFY adds NEW_LISTENER, and is
 *     refused as the default action and for {@code write} (the launcher needs write to hand the
 *     listener fd over).</li>
 * <li>With more than 32 syscall names (runc counts one rule per name) libseccomp's binary-tree
 *     optimisation is turned on.</li>
 * <li>As runc's {@code patchbpf}: unless the default action lets calls through (ALLOW, LOG,
 *     TRACE) or already returns ENOSYS, a {@link EnosysStub} is prepended so that, on each listed
 *     architecture, syscalls numbered above the highest one the profile names return ENOSYS.</li>
 * </ul>
 */
public final class SeccompCompiler {
    public static final int FLAG_TSYNC = 1;
    public static final int FLAG_LOG = 2;
    public static final int FLAG_SPEC_ALLOW = 4;
    public static final int FLAG_NEW_LISTENER = 8;
    public static final int FLAG_TSYNC_ESRCH = 16;
    public static final int FLAG_WAIT_KILLABLE_RECV = 32;

    static final String LIBSECCOMP_PATH = "/usr/lib/x86_64-linux-gnu/libseccomp.so.2";

    private static final int ACT_KILL_PROCESS = 0x80000000;
    private static final int ACT_KILL_THREAD = 0x00000000;
    private static final int ACT_TRAP = 0x00030000;
    private static final int ACT_ERRNO = 0x00050000;
    private static final int ACT_TRACE = 0x7ff00000;
    private static final int ACT_LOG = 0x7ffc0000;
    private static final int ACT_NOTIFY = 0x7fc00000;
    private static final int ACT_ALLOW = 0x7fff0000;

    private static final int FLTATR_CTL_OPTIMIZE = 8;
    private static final int NR_SCMP_ERROR = -1;
    private static final int MAX_ARGS = 6;
    private static final int EDOM = 33;
    private static final int OPTIMIZE_ABOVE_RULES = 32;

    /** Architectures the runtime-spec names; libseccomp may not support every one. */
    private static final Set<String> SPEC_ARCHES = Set.of("SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
            "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
            "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
            "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
            "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
            "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB");

    private SeccompCompiler() {
    }

    /** Whether libseccomp could be loaded; if not, {@link #unavailableReason()} says why. */
    public static boolean available() {
        return Lib.ERROR == null;
    }

    /** Why libseccomp is not available, or null when it is. */
    public static String unavailableReason() {
        return Lib.ERROR;
    }

    /** The loaded libseccomp's version ("2.5.4"). */
    public static String libraryVersion() {
        Lib lib = lib();
        try {
            MethodHandle version = Lib.bind(lib.lookup, "seccomp_version", FunctionDescriptor.of(ADDRESS));
            MemorySegment v = ((MemorySegment) version.invokeExact()).reinterpret(12);
            return v.get(JAVA_INT, 0) + "." + v.get(JAVA_INT, 4) + "." + v.get(JAVA_INT, 8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Compiles {@code profile} to BPF.
     *
     * @throws IllegalArgumentException for a profile error, naming the field and value, e.g.
     *         {@code linux.seccomp.syscalls[2].action: unknown action "SCMP_ACT_FOO"}
     * @throws IllegalStateException    when libseccomp is not available
     */
    public static CompiledFilter compile(SeccompProfile profile) {
        Lib lib = lib();
        int defaultAction = action(profile.defaultAction(), profile.defaultErrnoRet(),
                "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet");
        if (defaultAction == ACT_NOTIFY) {
            throw new IllegalArgumentException("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        }
        int flags = flags(profile.flags());
        boolean notify = false;
        for (int i = 0; i < profile.syscalls().size(); i++) {
            SyscallRule rule = profile.syscalls().get(i);
            if ("SCMP_ACT_NOTIFY".equals(rule.action())) {
                notify = true;
                if (rule.names().contains("write")) {
                    throw new IllegalArgumentException("linux.seccomp.syscalls[" + i
                            + "].names: SCMP_ACT_NOTIFY cannot be used for the write syscall");
                }
            }
        }
        if (notify) {
            if (profile.listenerPath() == null || profile.listenerPath().isEmpty()) {
                throw new IllegalArgumentException("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
            }
            flags |= FLAG_NEW_LISTENER;
            if ((flags & FLAG_TSYNC) != 0) {
                flags |= FLAG_TSYNC_ESRCH; // TSYNC and NEW_LISTENER together need it
            }
        }

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = (MemorySegment) lib.init.invokeExact(defaultAction);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("seccomp_init failed for default action " + profile.defaultAction());
            }
            try {
                EnosysStub stub = new EnosysStub();
                addArches(lib, arena, ctx, profile.architectures(), stub);
                if (profile.syscalls().stream().mapToInt(r -> r.names().size()).sum() > OPTIMIZE_ABOVE_RULES) {
                    // Not fatal when unsupported: the filter is then a linear list.
                    int ignored = (int) lib.attrSet.invokeExact(ctx, FLTATR_CTL_OPTIMIZE, 2);
                }
                for (int i = 0; i < profile.syscalls().size(); i++) {
                    addRule(lib, arena, ctx, profile.syscalls().get(i), "linux.seccomp.syscalls[" + i + "]",
                            defaultAction);
                }
                byte[] bpf = export(lib, ctx);
                if (wantsEnosysStub(profile)) {
                    noteSyscalls(lib, arena, profile, stub);
                    bpf = stub.prepend(bpf);
                }
                return new CompiledFilter(bpf, flags);
            } finally {
                lib.release.invokeExact(ctx);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** runc's rule: no stub when the default lets calls through or already says ENOSYS. */
    private static boolean wantsEnosysStub(SeccompProfile profile) {
        if (profile.defaultErrnoRet() != null && profile.defaultErrnoRet() == Errno.ENOSYS) {
            return false;
        }
        return switch (profile.defaultAction()) {
            case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE" -> false;
            default -> true;
        };
    }

    /** Every name of every rule, whatever its action, counts towards an arch's highest syscall. */
    private static void noteSyscalls(Lib lib, Arena arena, SeccompProfile profile, EnosysStub stub) throws Throwable {
        Iterable<Integer> arches = stub.arches();
        for (SyscallRule rule : profile.syscalls()) {
            for (String name : rule.names()) {
                MemorySegment cname = arena.allocateFrom(name);
                for (int token : arches) {
                    stub.note(token, (int) lib.syscallResolveArch.invokeExact(token, cname));
                }
            }
        }
    }

    private static void addArches(Lib lib, Arena arena, MemorySegment ctx, List<String> arches, EnosysStub stub)
            throws Throwable {
        for (int i = 0; i < arches.size(); i++) {
            String name = arches.get(i);
            String field = "linux.seccomp.architectures[" + i + "]";
            if (!SPEC_ARCHES.contains(name)) {
                throw new IllegalArgumentException(field + ": unknown architecture \"" + name + "\"");
            }
            String scmpName = name.substring("SCMP_ARCH_".length()).toLowerCase(Locale.ROOT);
            int token = (int) lib.archResolve.invokeExact(arena.allocateFrom(scmpName));
            if (token == 0) {
                throw new IllegalArgumentException(field + ": architecture \"" + name
                        + "\" is not supported by libseccomp " + libraryVersion());
            }
            stub.arch(token);
            int rc = (int) lib.archAdd.invokeExact(ctx, token);
            if (rc == -EDOM) {
                throw new IllegalArgumentException(field + ": cannot add architecture \"" + name
                        + "\": its byte order differs from the native architecture's");
            }
            if (rc < 0 && rc != -Errno.EEXIST) {
                throw new IllegalArgumentException(field + ": cannot add architecture \"" + name + "\": "
                        + Errno.description(-rc) + " (" + Errno.name(-rc) + ")");
            }
        }
    }

    private static void addRule(Lib lib, Arena arena, MemorySegment ctx, SyscallRule rule, String field,
            int defaultAction) throws Throwable {
        if (rule.names().isEmpty()) {
            throw new IllegalArgumentException(field + ".names: must name at least one syscall");
        }
        int action = action(rule.action(), rule.errnoRet(), field + ".action", field + ".errnoRet");
        MemorySegment conds = conditions(arena, rule.args(), field);
        boolean sameIndexTwice = sameIndexTwice(rule.args());
        for (int n = 0; n < rule.names().size(); n++) {
            String name = rule.names().get(n);
            if (name.isEmpty()) {
                throw new IllegalArgumentException(field + ".names[" + n + "]: empty syscall name");
            }
            if (action == defaultAction) {
                continue; // redundant; libseccomp would refuse it
            }
            int nr = (int) lib.syscallResolve.invokeExact(arena.allocateFrom(name));
            if (nr == NR_SCMP_ERROR) {
                continue; // unknown to this libseccomp: skipped, as runc does
            }
            if (rule.args().isEmpty()) {
                addRule(lib, ctx, action, nr, 0, MemorySegment.NULL, field, name);
            } else if (sameIndexTwice) {
                for (int a = 0; a < rule.args().size(); a++) {
                    addRule(lib, ctx, action, nr, 1, conds.asSlice(a * CMP.byteSize(), CMP), field, name);
                }
            } else {
                addRule(lib, ctx, action, nr, rule.args().size(), conds, field, name);
            }
        }
    }

    private static void addRule(Lib lib, MemorySegment ctx, int action, int nr, int count, MemorySegment conds,
            String field, String name) throws Throwable {
        int rc = (int) lib.ruleAddArray.invokeExact(ctx, action, nr, count, conds);
        if (rc < 0) {
            throw new IllegalArgumentException(field + ": libseccomp rejected the rule for \"" + name + "\": "
                    + Errno.description(-rc) + " (" + Errno.name(-rc) + ")");
        }
    }

    private static boolean sameIndexTwice(List<ArgCondition> args) {
        int seen = 0;
        for (ArgCondition a : args) {
            if ((seen & (1 << a.index())) != 0) {
                return true;
            }
            seen |= 1 << a.index();
        }
        return false;
    }

    private static MemorySegment conditions(Arena arena, List<ArgCondition> args, String field) {
        if (args.isEmpty()) {
            return MemorySegment.NULL;
        }
        MemorySegment conds = arena.allocate(CMP, args.size());
        for (int i = 0; i < args.size(); i++) {
            ArgCondition a = args.get(i);
            String argField = field + ".args[" + i + "]";
            if (a.index() < 0 || a.index() >= MAX_ARGS) {
                throw new IllegalArgumentException(argField + ".index: " + a.index() + " is not in 0..5");
            }
            int op = operator(a.op(), argField + ".op");
            MemorySegment c = conds.asSlice(i * CMP.byteSize(), CMP);
            c.set(JAVA_INT, 0, a.index());
            c.set(JAVA_INT, 4, op);
            c.set(JAVA_LONG, 8, a.value());
            c.set(JAVA_LONG, 16, a.valueTwo());
        }
        return conds;
    }

    private static int operator(String op, String field) {
        return switch (op == null ? "" : op) {
            case "SCMP_CMP_NE" -> 1;
            case "SCMP_CMP_LT" -> 2;
            case "SCMP_CMP_LE" -> 3;
            case "SCMP_CMP_EQ" -> 4;
            case "SCMP_CMP_GE" -> 5;
            case "SCMP_CMP_GT" -> 6;
            case "SCMP_CMP_MASKED_EQ" -> 7;
            default -> throw new IllegalArgumentException(field + ": unknown operator \"" + op + "\"");
        };
    }

    /** The libseccomp action value of an SCMP_ACT_* name. */
    private static int action(String name, Integer errnoRet, String field, String errnoField) {
        int ret = Errno.EPERM;
        if (errnoRet != null) {
            if (errnoRet < 0 || errnoRet > 0xffff) {
                throw new IllegalArgumentException(errnoField + ": " + errnoRet + " is not in 0..65535");
            }
            ret = errnoRet;
        }
        return switch (name == null ? "" : name) {
            case "SCMP_ACT_ALLOW" -> ACT_ALLOW;
            case "SCMP_ACT_ERRNO" -> ACT_ERRNO | ret;
            case "SCMP_ACT_TRACE" -> ACT_TRACE | ret;
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> ACT_KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> ACT_KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> ACT_TRAP;
            case "SCMP_ACT_LOG" -> ACT_LOG;
            case "SCMP_ACT_NOTIFY" -> ACT_NOTIFY;
            default -> throw new IllegalArgumentException(field + ": unknown action \"" + name + "\"");
        };
    }

    private static int flags(List<String> names) {
        int flags = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            flags |= switch (name) {
                case "SECCOMP_FILTER_FLAG_TSYNC" -> FLAG_TSYNC;
                case "SECCOMP_FILTER_FLAG_LOG" -> FLAG_LOG;
                case "SECCOMP_FILTER_FLAG_SPEC_ALLOW" -> FLAG_SPEC_ALLOW;
                case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" -> FLAG_WAIT_KILLABLE_RECV;
                default -> throw new IllegalArgumentException(
                        "linux.seccomp.flags[" + i + "]: unknown flag \"" + name + "\"");
            };
        }
        return flags;
    }

    /** seccomp_export_bpf into a memfd, read back. */
    private static byte[] export(Lib lib, MemorySegment ctx) throws Throwable {
        int fd = Linux.memfdCreate("berth-seccomp", Linux.MFD_CLOEXEC);
        try {
            int rc = (int) lib.exportBpf.invokeExact(ctx, fd);
            if (rc < 0) {
                throw new SyscallException("seccomp_export_bpf", -rc);
            }
            long size = Linux.lseek(fd, 0, Linux.SEEK_END);
            Linux.lseek(fd, 0, Linux.SEEK_SET);
            byte[] bpf = new byte[Math.toIntExact(size)];
            int off = 0;
            while (off < bpf.length) {
                int n = Linux.read(fd, bpf, off, bpf.length - off);
                if (n == 0) {
                    throw new IllegalStateException("seccomp_export_bpf: short read at " + off + " of " + size);
                }
                off += n;
            }
            return bpf;
        } finally {
            Linux.close(fd);
        }
    }

    private static Lib lib() {
        if (Lib.ERROR != null) {
            throw new IllegalStateException(Lib.ERROR);
        }
        return Lib.INSTANCE;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("libseccomp call failed", t);
    }

    /** struct scmp_arg_cmp { unsigned arg; enum scmp_compare op; uint64 datum_a, datum_b; } */
    private static final StructLayout CMP = MemoryLayout.structLayout(
            JAVA_INT.withName("arg"), JAVA_INT.withName("op"),
            JAVA_LONG.withName("datum_a"), JAVA_LONG.withName("datum_b"));

    /** libseccomp, bound on the first compile. */
    private static final class Lib {
        static final Lib INSTANCE;
        static final String ERROR;

        static {
            Lib lib = null;
            String error = null;
            try {
                lib = new Lib(load());
            } catch (Throwable t) {
                error = "libseccomp is not available (" + LIBSECCOMP_PATH + " or libseccomp.so.2): " + t.getMessage();
            }
            INSTANCE = lib;
            ERROR = error;
        }

        final MethodHandle init;
        final MethodHandle release;
        final MethodHandle archResolve;
        final MethodHandle archAdd;
        final MethodHandle attrSet;
        final MethodHandle syscallResolve;
        final MethodHandle syscallResolveArch;
        final MethodHandle ruleAddArray;
        final MethodHandle exportBpf;
        final SymbolLookup lookup;

        private Lib(SymbolLookup l) {
            lookup = l;
            init = bind(l, "seccomp_init", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            release = bind(l, "seccomp_release", FunctionDescriptor.ofVoid(ADDRESS));
            archResolve = bind(l, "seccomp_arch_resolve_name", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            archAdd = bind(l, "seccomp_arch_add", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            attrSet = bind(l, "seccomp_attr_set", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
            syscallResolve = bind(l, "seccomp_syscall_resolve_name", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            syscallResolveArch = bind(l, "seccomp_syscall_resolve_name_arch",
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
            ruleAddArray = bind(l, "seccomp_rule_add_array",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
            exportBpf = bind(l, "seccomp_export_bpf", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        }

        private static SymbolLookup load() {
            try {
                return SymbolLookup.libraryLookup(java.nio.file.Path.of(LIBSECCOMP_PATH), Arena.global());
            } catch (IllegalArgumentException notThere) {
                return SymbolLookup.libraryLookup("libseccomp.so.2", Arena.global());
            }
        }

        static MethodHandle bind(SymbolLookup l, String name, FunctionDescriptor fd) {
            MemorySegment sym = l.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol not found: " + name));
            return Linker.nativeLinker().downcallHandle(sym, fd);
        }
    }
}
