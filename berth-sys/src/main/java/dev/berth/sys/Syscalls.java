package dev.berth.sys;

/**
 * Every kernel call berth's Java code makes outside berth-sys, behind one interface (youki's
 * {@code Syscall} trait is the model): {@link #linux()} is the real one ({@link LinuxSyscalls},
 * FFM downcalls), {@link RecordingSyscalls} a test double that records each call and can be told
 * to fail one, so that lifecycle logic (what is undone when a mount or an attach fails) is tested
 * without root as well as for real.
 *
 * <p>Failures are {@link SyscallException}s (call, errno, path), except in {@link AtCalls}, whose
 * calls return {@code -errno} for tree walks to branch on.
 */
public interface Syscalls {
    /** The real kernel. */
    static Syscalls linux() { return LinuxSyscalls.INSTANCE; }

    // ---- processes

    /** kill(2); pid 0 and -1 are refused (IllegalArgumentException). */
    void kill(int pid, int sig);

    /** Whether {@code pid} exists (a zombie counts). */
    boolean alive(int pid);

    int getpid();

    int geteuid();

    int pidfdOpen(int pid);

    void pidfdSendSignal(int pidfd, int sig);

    /** execve(2): returns only by throwing. */
    void execve(String path, String[] argv, String[] envp);

    // ---- descriptors

    /** open(2), the descriptor. */
    int open(String path, int flags, int mode);

    void close(int fd);

    int read(int fd, byte[] buf, int off, int len);

    void writeFully(int fd, byte[] b);

    long lseek(int fd, long offset, int whence);

    int fcntl(int fd, int cmd, int arg);

    int memfdCreate(String name, int flags);

    int[] pipe2(int flags);

    void mkfifo(String path, int mode);

    /** A close-on-exec eventfd(2) with counter 0. */
    int eventfd();

    /** Blocking read of an eventfd's counter (retried on EINTR). */
    long eventfdRead(int fd);

    /** Adds {@code value} to an eventfd's counter. */
    void eventfdWrite(int fd, long value);

    // ---- console sockets and terminals (runc's console-socket protocol; {@link Pty})

    /** A listening unix stream socket bound at {@code path} (close-on-exec); its fd. */
    int unixListen(String path);

    /** accept4(2) a connection (close-on-exec); its fd. */
    int accept(int listenFd);

    /** One fd received over a connected unix socket (SCM_RIGHTS, close-on-exec); refused if none came. */
    int receiveFd(int sock);

    /** poll(2) of one fd: its revents ({@link Pty#POLLIN}, ...), 0 on timeout or EINTR. */
    int poll(int fd, short events, int timeoutMs);

    /** TIOCSWINSZ: the terminal's size. */
    void resizeTerminal(int fd, int rows, int cols);

    // ---- mounts and namespaces

    /** mount(2); {@code source}, {@code fstype}, {@code data} may be null. Flags: {@link Linux}'s MS_*. */
    void mount(String source, String target, String fstype, long flags, String data);

    /** umount2(2) with {@link Linux}'s MNT_* flags. */
    void umount2(String target, int flags);

    void setns(int fd, int nstype);

    /** statfs(2)'s f_type (e.g. {@link Linux#CGROUP2_SUPER_MAGIC}). */
    long statfsType(String path);

    // ---- files by path (an l-call never follows a final symlink)

    /** mknod(2); {@code dev} as makedev encodes it. */
    void mknod(String path, int mode, long dev);

    void chmod(String path, int mode);

    void lchown(String path, int uid, int gid);

    void lsetxattr(String path, String name, byte[] value);

    /** The value, or null when the attribute is absent. */
    byte[] lgetxattr(String path, String name);

    /** The {@code *at} calls of tree walks, for the calling thread (one instance per thread). */
    AtCalls at();

    // ---- bpf(2): cgroup v2 device programs

    /** Whether bpf(2) is known on this architecture. */
    boolean bpfSupported();

    /** Loads a BPF_PROG_TYPE_CGROUP_DEVICE program; its fd (the verifier's log in the error). */
    int bpfLoadDeviceProgram(byte[] insns);

    /** Attaches program {@code progFd} to the cgroup open as {@code cgroupFd} (BPF_F_ALLOW_MULTI). */
    void bpfAttachDevice(int cgroupFd, int progFd);

    /** Ids of the device programs attached to the cgroup. */
    int[] bpfQueryDevices(int cgroupFd);

    /** Detaches the program with id {@code progId} from the cgroup. */
    void bpfDetachDevice(int cgroupFd, int progId);

    // ---- fanotify(7): permission events (berth.drift=deny-exec)

    /** fanotify_init(2): a new group's fd ({@link Fanotify} constants). */
    int fanotifyInit(int flags, int eventFlags);

    /** fanotify_mark(2) of {@code path} (relative to the working directory). */
    void fanotifyMark(int fd, int flags, long mask, String path);

    /** makedev(3): the {@code dev_t} of a device number. */
    static long makedev(int major, int minor) {
        return ((long) (major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((long) (minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
