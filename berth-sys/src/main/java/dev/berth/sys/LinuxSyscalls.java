package dev.berth.sys;

/**
 * The real {@link Syscalls}: each call is {@link Linux}'s (or this package's eventfd, file, bpf and
 * {@code *at} bindings). Binding is lazy per call, so a command pays only for what it uses.
 */
public final class LinuxSyscalls implements Syscalls {
    static final LinuxSyscalls INSTANCE = new LinuxSyscalls();

    private LinuxSyscalls() {}

    /**
     * SIGKILL and SIGTERM (what containerd and podman send) through ProcessHandle, the JDK's own
     * kill(2): binding the foreign-function machinery costs more than the rest of a {@code kill}
     * command. A process that is gone is ESRCH either way.
     */
    @Override public void kill(int pid, int sig) {
        if ((sig == 9 || sig == 15) && pid > 0 && pid != ProcessHandle.current().pid()) {
            var h = ProcessHandle.of(pid);
            if (h.isEmpty()) throw new SyscallException("kill", Errno.ESRCH, Integer.toString(pid));
            if (sig == 9 ? h.get().destroyForcibly() : h.get().destroy()) return;
        }
        Linux.kill(pid, sig);
    }
    @Override public boolean alive(int pid) { return Linux.alive(pid); }
    @Override public int getpid() { return Linux.getpid(); }
    @Override public int geteuid() { return Linux.geteuid(); }
    @Override public int pidfdOpen(int pid) { return Linux.pidfdOpen(pid); }
    @Override public void pidfdSendSignal(int pidfd, int sig) { Linux.pidfdSendSignal(pidfd, sig); }
    @Override public void execve(String path, String[] argv, String[] envp) { Linux.execve(path, argv, envp); }

    @Override public int open(String path, int flags, int mode) { return Linux.open(path, flags, mode); }
    @Override public void close(int fd) { Linux.close(fd); }
    @Override public int read(int fd, byte[] buf, int off, int len) { return Linux.read(fd, buf, off, len); }
    @Override public void writeFully(int fd, byte[] b) { Linux.writeFully(fd, b); }
    @Override public long lseek(int fd, long offset, int whence) { return Linux.lseek(fd, offset, whence); }
    @Override public int fcntl(int fd, int cmd, int arg) { return Linux.fcntl(fd, cmd, arg); }
    @Override public int memfdCreate(String name, int flags) { return Linux.memfdCreate(name, flags); }
    @Override public int[] pipe2(int flags) { return Linux.pipe2(flags); }
    @Override public void mkfifo(String path, int mode) { Linux.mkfifo(path, mode); }
    @Override public int eventfd() { return EventFd.create(); }
    @Override public long eventfdRead(int fd) { return EventFd.read(fd); }
    @Override public void eventfdWrite(int fd, long value) { EventFd.write(fd, value); }

    @Override public int unixListen(String path) { return Pty.listen(path); }
    @Override public int accept(int listenFd) { return Pty.accept(listenFd); }
    @Override public int receiveFd(int sock) { return Pty.receiveFd(sock); }
    @Override public int poll(int fd, short events, int timeoutMs) { return Pty.poll(fd, events, timeoutMs); }
    @Override public void resizeTerminal(int fd, int rows, int cols) { Pty.resize(fd, rows, cols); }

    @Override public void mount(String source, String target, String fstype, long flags, String data) {
        Linux.mount(source, target, fstype, flags, data);
    }
    @Override public void umount2(String target, int flags) { Linux.umount2(target, flags); }
    @Override public void setns(int fd, int nstype) { Linux.setns(fd, nstype); }
    @Override public long statfsType(String path) { return Linux.statfsType(path); }

    @Override public void mknod(String path, int mode, long dev) { FileCalls.mknod(path, mode, dev); }
    @Override public void chmod(String path, int mode) { FileCalls.chmod(path, mode); }
    @Override public void lchown(String path, int uid, int gid) { FileCalls.lchown(path, uid, gid); }
    @Override public void lsetxattr(String path, String name, byte[] value) { FileCalls.lsetxattr(path, name, value); }
    @Override public byte[] lgetxattr(String path, String name) { return FileCalls.lgetxattr(path, name); }
    @Override public AtCalls at() { return new LinuxAtCalls(); }

    @Override public boolean bpfSupported() { return Bpf.supported(); }
    @Override public int bpfLoadDeviceProgram(byte[] insns) { return Bpf.loadDeviceProgram(insns); }
    @Override public void bpfAttachDevice(int cgroupFd, int progFd) { Bpf.attachDevice(cgroupFd, progFd); }
    @Override public int[] bpfQueryDevices(int cgroupFd) { return Bpf.queryDevice(cgroupFd); }
    @Override public void bpfDetachDevice(int cgroupFd, int progId) { Bpf.detachDevice(cgroupFd, progId); }
    @Override public int fanotifyInit(int flags, int eventFlags) { return Fanotify.init(flags, eventFlags); }
    @Override public void fanotifyMark(int fd, int flags, long mask, String path) { Fanotify.mark(fd, flags, mask, path); }
}
