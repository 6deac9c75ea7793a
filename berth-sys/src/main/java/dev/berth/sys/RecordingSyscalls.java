package dev.berth.sys;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link Syscalls} that reaches no kernel: it records every call (name and arguments, in order)
 * and keeps just enough state to answer as the kernel would — descriptors it handed out and not
 * yet closed (closing one twice is EBADF), mounts (unmounting what is not mounted is EINVAL),
 * extended attributes, eventfd counters, bpf device programs attached per cgroup, processes
 * declared {@link #live}. {@link #failOn} makes calls of one name fail with an errno (after being
 * recorded), so that a test can check what a failure leaves behind, without root.
 *
 * <p>Call names are the method names ({@code "mount"}, {@code "bpfAttachDevice"}). The {@code *at}
 * calls are not simulated ({@link #at} throws): tree walks are tested on real files.
 */
public final class RecordingSyscalls implements Syscalls {
    /** One call: its name and arguments (arrays as lists). */
    public record Call(String name, List<Object> args) {
        @Override public String toString() {
            StringBuilder b = new StringBuilder(name);
            for (Object a : args) b.append(' ').append(a);
            return b.toString();
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private final Map<String, int[]> failures = new HashMap<>();   // name -> {errno, times left (-1: always)}
    private final Map<Integer, String> open = new TreeMap<>();     // fd -> what it is
    private final Set<String> mounts = new LinkedHashSet<>();
    private final Map<String, byte[]> xattrs = new HashMap<>();
    private final Map<Integer, Long> counters = new HashMap<>();   // eventfd -> counter
    private final Map<Integer, Integer> programs = new HashMap<>(); // program fd -> program id
    private final Map<String, List<Integer>> attached = new HashMap<>(); // cgroup path -> program ids
    private final Map<String, Long> fsTypes = new HashMap<>();
    private final Set<Integer> live = new LinkedHashSet<>();
    private int nextFd = 100, nextProgram = 1, euid, pollAnswer;

    // ---- telling it what to do

    /** Every later call named {@code call} fails with {@code errno}. */
    public synchronized RecordingSyscalls failOn(String call, int errno) {
        failures.put(call, new int[] {errno, -1});
        return this;
    }

    /** Only the next call named {@code call} fails with {@code errno}. */
    public synchronized RecordingSyscalls failOnce(String call, int errno) {
        failures.put(call, new int[] {errno, 1});
        return this;
    }

    /** statfs of {@code path} answers {@code magic} (else 0). */
    public synchronized RecordingSyscalls fsType(String path, long magic) {
        fsTypes.put(path, magic);
        return this;
    }

    /** These pids exist (until SIGKILLed). */
    public synchronized RecordingSyscalls live(int... pids) {
        for (int p : pids) live.add(p);
        return this;
    }

    /** What poll answers for an open descriptor (0, nothing ready, unless set); a closed one is POLLNVAL. */
    public synchronized RecordingSyscalls pollAnswer(int revents) {
        pollAnswer = revents;
        return this;
    }

    /** The effective uid geteuid answers (0 unless set). */
    public synchronized RecordingSyscalls euid(int uid) {
        euid = uid;
        return this;
    }

    /** Device programs already attached to cgroup {@code path}, by id. */
    public synchronized RecordingSyscalls attached(String path, int... ids) {
        List<Integer> l = attached.computeIfAbsent(path, k -> new ArrayList<>());
        for (int id : ids) l.add(id);
        nextProgram = Math.max(nextProgram, Arrays.stream(ids).max().orElse(0) + 1);
        return this;
    }

    // ---- what happened

    public synchronized List<Call> calls() { return List.copyOf(calls); }

    /** The calls' names, in order. */
    public synchronized List<String> names() { return calls.stream().map(Call::name).toList(); }

    /** The calls, one string each ("mount overlay /x overlay 0 lowerdir=..."). */
    public synchronized List<String> log() { return calls.stream().map(Call::toString).toList(); }

    /** Descriptors handed out and not closed: fd → what it is. */
    public synchronized Map<Integer, String> openFds() { return Map.copyOf(open); }

    /** Mount targets mounted and not unmounted. */
    public synchronized Set<String> mounts() { return Set.copyOf(mounts); }

    /** Ids of the device programs attached to cgroup {@code path}. */
    public synchronized List<Integer> attachedPrograms(String path) { return List.copyOf(attached.getOrDefault(path, List.of())); }

    // ---- the calls

    private void call(String name, Object... args) {
        String subject = null;
        for (Object o : args) if (subject == null && o instanceof String s) subject = s;
        callAbout(name, subject, args);
    }

    /** Records the call; a failure asked for names {@code subject} as the kernel's error would. */
    private void callAbout(String name, String subject, Object... args) {
        List<Object> a = new ArrayList<>();
        for (Object o : args) {
            Object v = o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
                    : o instanceof Object[] arr ? List.of(arr) : o;
            a.add(v == null ? "null" : v);
        }
        calls.add(new Call(name, a));
        int[] f = failures.get(name);
        if (f != null) {
            if (f[1] > 0 && --f[1] == 0) failures.remove(name);
            throw new SyscallException(name, f[0], subject);
        }
    }

    private int fd(String what) {
        int fd = nextFd++;
        open.put(fd, what);
        return fd;
    }

    private String need(int fd, String call) {
        String what = open.get(fd);
        if (what == null) throw new SyscallException(call, Errno.EBADF, "fd " + fd);
        return what;
    }

    @Override public synchronized void kill(int pid, int sig) {
        call("kill", pid, sig);
        if (pid == 0 || pid == -1) throw new IllegalArgumentException("kill: refusing pid " + pid);
        if (!live.contains(pid)) throw new SyscallException("kill", Errno.ESRCH, Integer.toString(pid));
        if (sig == Linux.SIGKILL) live.remove(pid);
    }

    @Override public synchronized boolean alive(int pid) { call("alive", pid); return live.contains(pid); }
    @Override public synchronized int getpid() { call("getpid"); return 4242; }
    @Override public synchronized int geteuid() { call("geteuid"); return euid; }
    @Override public synchronized int pidfdOpen(int pid) {
        call("pidfdOpen", pid);
        if (!live.contains(pid)) throw new SyscallException("pidfd_open", Errno.ESRCH, Integer.toString(pid));
        return fd("pidfd " + pid);
    }
    @Override public synchronized void pidfdSendSignal(int pidfd, int sig) {
        call("pidfdSendSignal", pidfd, sig);
        String what = need(pidfd, "pidfd_send_signal");
        int pid = Integer.parseInt(what.substring("pidfd ".length()));
        if (!live.contains(pid)) throw new SyscallException("pidfd_send_signal", Errno.ESRCH, "fd " + pidfd);
        if (sig == Linux.SIGKILL) live.remove(pid);
    }
    @Override public synchronized void execve(String path, String[] argv, String[] envp) {
        call("execve", path, argv, envp);
        throw new SyscallException("execve", Errno.ENOSYS, path);   // nothing to become
    }

    @Override public synchronized int open(String path, int flags, int mode) { call("open", path, flags, mode); return fd(path); }
    @Override public synchronized void close(int fd) {
        call("close", fd);
        need(fd, "close");
        open.remove(fd);
        counters.remove(fd);
        programs.remove(fd);
        notifyAll();
    }
    @Override public synchronized int read(int fd, byte[] buf, int off, int len) { call("read", fd, len); need(fd, "read"); return 0; }
    @Override public synchronized void writeFully(int fd, byte[] b) { call("writeFully", fd, b); need(fd, "write"); }
    @Override public synchronized long lseek(int fd, long offset, int whence) { call("lseek", fd, offset, whence); need(fd, "lseek"); return offset; }
    @Override public synchronized int fcntl(int fd, int cmd, int arg) { call("fcntl", fd, cmd, arg); need(fd, "fcntl"); return 0; }
    @Override public synchronized int memfdCreate(String name, int flags) { call("memfdCreate", name, flags); return fd("memfd " + name); }
    @Override public synchronized int[] pipe2(int flags) { call("pipe2", flags); return new int[] {fd("pipe r"), fd("pipe w")}; }
    @Override public synchronized void mkfifo(String path, int mode) { call("mkfifo", path, mode); }

    @Override public synchronized int eventfd() {
        call("eventfd");
        int fd = fd("eventfd");
        counters.put(fd, 0L);
        return fd;
    }
    @Override public synchronized long eventfdRead(int fd) {
        call("eventfdRead", fd);
        while (true) {
            Long c = counters.get(fd);
            if (c == null) throw new SyscallException("read eventfd", Errno.EBADF, "fd " + fd);
            if (c > 0) { counters.put(fd, 0L); return c; }
            try { wait(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new SyscallException("read eventfd", Errno.EINTR, "fd " + fd); }
        }
    }
    @Override public synchronized void eventfdWrite(int fd, long value) {
        call("eventfdWrite", fd, value);
        Long c = counters.get(fd);
        if (c == null) throw new SyscallException("write eventfd", Errno.EBADF, "fd " + fd);
        counters.put(fd, c + value);
        notifyAll();
    }

    @Override public synchronized int unixListen(String path) { call("unixListen", path); return fd("listen " + path); }
    @Override public synchronized int accept(int listenFd) {
        call("accept", listenFd);
        return fd("connection on " + need(listenFd, "accept4"));
    }
    @Override public synchronized int receiveFd(int sock) {
        call("receiveFd", sock);
        return fd("received on " + need(sock, "recvmsg"));
    }
    @Override public synchronized int poll(int fd, short events, int timeoutMs) {
        call("poll", fd, events, timeoutMs);
        return open.containsKey(fd) ? pollAnswer & (events | Pty.POLLERR | Pty.POLLHUP) : Pty.POLLNVAL;
    }
    @Override public synchronized void resizeTerminal(int fd, int rows, int cols) {
        call("resizeTerminal", fd, rows, cols);
        need(fd, "ioctl(TIOCSWINSZ)");
    }

    @Override public synchronized void mount(String source, String target, String fstype, long flags, String data) {
        callAbout("mount", target, source, target, fstype, flags, data);
        mounts.add(target);
    }
    @Override public synchronized void umount2(String target, int flags) {
        call("umount2", target, flags);
        if (!mounts.remove(target)) throw new SyscallException("umount2", Errno.EINVAL, target);
    }
    @Override public synchronized void setns(int fd, int nstype) { call("setns", fd, nstype); need(fd, "setns"); }
    @Override public synchronized long statfsType(String path) { call("statfsType", path); return fsTypes.getOrDefault(path, 0L); }

    @Override public synchronized void mknod(String path, int mode, long dev) { call("mknod", path, mode, dev); }
    @Override public synchronized void chmod(String path, int mode) { call("chmod", path, mode); }
    @Override public synchronized void lchown(String path, int uid, int gid) { call("lchown", path, uid, gid); }
    @Override public synchronized void lsetxattr(String path, String name, byte[] value) {
        call("lsetxattr", path, name, value);
        xattrs.put(path + "\0" + name, value.clone());
    }
    @Override public synchronized byte[] lgetxattr(String path, String name) {
        call("lgetxattr", path, name);
        byte[] v = xattrs.get(path + "\0" + name);
        return v == null ? null : v.clone();
    }
    @Override public AtCalls at() {
        throw new UnsupportedOperationException("RecordingSyscalls has no *at calls: tree walks are tested on real files");
    }

    @Override public synchronized boolean bpfSupported() { call("bpfSupported"); return true; }
    @Override public synchronized int bpfLoadDeviceProgram(byte[] insns) {
        call("bpfLoadDeviceProgram", insns.length / 8 + " insns");
        int fd = fd("bpf program");
        programs.put(fd, nextProgram++);
        return fd;
    }
    @Override public synchronized void bpfAttachDevice(int cgroupFd, int progFd) {
        call("bpfAttachDevice", cgroupFd, progFd);
        String cg = need(cgroupFd, "bpf prog_attach");
        Integer id = programs.get(progFd);
        if (id == null) throw new SyscallException("bpf prog_attach", Errno.EBADF, "fd " + progFd);
        attached.computeIfAbsent(cg, k -> new ArrayList<>()).add(id);
    }
    @Override public synchronized int[] bpfQueryDevices(int cgroupFd) {
        call("bpfQueryDevices", cgroupFd);
        return attached.getOrDefault(need(cgroupFd, "bpf prog_query"), List.of()).stream().mapToInt(Integer::intValue).toArray();
    }
    @Override public synchronized void bpfDetachDevice(int cgroupFd, int progId) {
        call("bpfDetachDevice", cgroupFd, progId);
        List<Integer> l = attached.getOrDefault(need(cgroupFd, "bpf prog_detach"), new ArrayList<>());
        if (!l.remove((Integer) progId)) throw new SyscallException("bpf prog_get_fd_by_id", Errno.ENOENT, "program " + progId);
    }

    @Override public synchronized int fanotifyInit(int flags, int eventFlags) {
        call("fanotifyInit", flags, eventFlags);
        return fd("fanotify");
    }
    @Override public synchronized void fanotifyMark(int fd, int flags, long mask, String path) {
        call("fanotifyMark", fd, flags, mask, path);
        need(fd, "fanotify_mark");
    }
}
