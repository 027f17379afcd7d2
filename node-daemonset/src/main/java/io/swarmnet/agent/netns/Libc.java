package io.swarmnet.agent.netns;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.time.Duration;

/**
 * The libc calls the agent makes itself (namespaces, the TUN device, the kernel ESP-in-UDP socket), bound with
 * JNA's direct mapping: no per-call reflection, errno reported as {@link LastErrorException}.
 */
public final class Libc {

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final short POLLIN = 1;
    public static final int O_RDONLY = 0;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int EINVAL = 22;
    public static final int ENOENT = 2;
    public static final int ENODEV = 19;
    public static final int EPERM = 1;
    public static final int EACCES = 13;
    public static final int EIO = 5;
    public static final int EMSGSIZE = 90;
    public static final int ENOPROTOOPT = 92;
    public static final int AF_INET = 2;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SOL_UDP = 17;
    public static final int SHUT_RDWR = 2;

    static {
        Native.register("c");
    }

    private Libc() {
    }

    public static native int open(String path, int flags) throws LastErrorException;

    public static native int ioctl(int fd, long request, Pointer argument) throws LastErrorException;

    public static native long read(int fd, Pointer buffer, long count) throws LastErrorException;

    /**
     * read(2) that reports failure as -1 with errno in {@link Native#getLastError()} instead of an exception: for the
     * TUN reader, where "nothing queued" (EAGAIN) is the common case and an exception per empty read costs microseconds.
     */
    public static long readNoThrow(int fd, Pointer buffer, long count) {
        return NoThrow.read(fd, buffer, count);
    }

    /** The same symbols bound without LastErrorException (errno is still preserved per thread). */
    private static final class NoThrow {
        static {
            Native.register(NoThrow.class, "c");
        }

        static native long read(int fd, Pointer buffer, long count);

        static native long write(int fd, Pointer buffer, long count);

        static native long sendmsg(int fd, Pointer message, int flags);

        static native long recvmsg(int fd, Pointer message, int flags);

        static native int recvmmsg(int fd, Pointer messages, int count, int flags, Pointer timeout);

        static native int sendmmsg(int fd, Pointer messages, int count, int flags);

        static native int epoll_wait(int epollFd, Pointer events, int maxEvents, int timeoutMillis);

        static native long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength);
    }

    /** write(2) reporting failure as -1 with errno in {@link Native#getLastError()}, for the datapath's hot loop. */
    public static long writeNoThrow(int fd, Pointer buffer, long count) {
        return NoThrow.write(fd, buffer, count);
    }

    /** sendmsg(2) reporting failure as -1 with errno in {@link Native#getLastError()}. */
    public static long sendmsgNoThrow(int fd, Pointer message, int flags) {
        return NoThrow.sendmsg(fd, message, flags);
    }

    /** recvmsg(2) reporting failure as -1 with errno in {@link Native#getLastError()}. */
    public static long recvmsgNoThrow(int fd, Pointer message, int flags) {
        return NoThrow.recvmsg(fd, message, flags);
    }

    /** recvmmsg(2) reporting failure as -1 with errno in {@link Native#getLastError()}: many datagrams per call. */
    public static int recvmmsgNoThrow(int fd, Pointer messages, int count, int flags) {
        return NoThrow.recvmmsg(fd, messages, count, flags, null);
    }

    /** sendmmsg(2) reporting failure as -1 with errno in {@link Native#getLastError()}: many datagrams per call. */
    public static int sendmmsgNoThrow(int fd, Pointer messages, int count, int flags) {
        return NoThrow.sendmmsg(fd, messages, count, flags);
    }

    /** epoll_wait(2) reporting failure as -1 with errno in {@link Native#getLastError()}. */
    public static int epollWaitNoThrow(int epollFd, Pointer events, int maxEvents, int timeoutMillis) {
        return NoThrow.epoll_wait(epollFd, events, maxEvents, timeoutMillis);
    }

    /** sendto(2) of {@code length} bytes to the {@code sockaddr} in {@code address}; -1 with errno in {@link Native#getLastError()}. */
    public static long sendtoNoThrow(int fd, byte[] buffer, int length, byte[] address) {
        return NoThrow.sendto(fd, buffer, length, 0, address, address.length);
    }

    public static native long write(int fd, Pointer buffer, long count) throws LastErrorException;

    public static native int poll(Pointer fds, long count, int timeoutMillis) throws LastErrorException;

    public static native int close(int fd);

    public static native int setns(int fd, int namespaceType) throws LastErrorException;

    public static native int socket(int domain, int type, int protocol) throws LastErrorException;

    public static native int setsockopt(int fd, int level, int option, Pointer value, int length) throws LastErrorException;

    public static native int getsockopt(int fd, int level, int option, Pointer value, Pointer length) throws LastErrorException;

    public static native int bind(int fd, Pointer address, int length) throws LastErrorException;

    public static native int getsockname(int fd, Pointer address, Pointer length) throws LastErrorException;

    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SO_REUSEPORT = 15;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int EADDRINUSE = 98;
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLLIN = 1;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    public static native int epoll_create1(int flags) throws LastErrorException;

    public static native int epoll_ctl(int epollFd, int operation, int fd, Pointer event) throws LastErrorException;

    public static native int eventfd(int initial, int flags) throws LastErrorException;

    private static final int SO_RCVTIMEO = 20;
    private static final int TIMEVAL_SIZE = 16;

    /** SO_RCVTIMEO: a blocking read on {@code fd} gives up with EAGAIN after {@code timeout} (whole microseconds). */
    public static void setReceiveTimeout(int fd, Duration timeout) throws LastErrorException {
        Memory timeval = new Memory(TIMEVAL_SIZE); // struct timeval { tv_sec; tv_usec; }
        timeval.setLong(0, timeout.toSeconds());
        timeval.setLong(8, timeout.toNanosPart() / 1000L);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, TIMEVAL_SIZE);
    }

    public static native int shutdown(int fd, int how);

    public static final int MFD_CLOEXEC = 1;

    /** An anonymous file in memory: the nft session's command file, reopened by libnftables as /proc/self/fd/N. */
    public static native int memfd_create(String name, int flags) throws LastErrorException;

    public static native int ftruncate(int fd, long length) throws LastErrorException;

    public static native long pwrite(int fd, Pointer buffer, long count, long offset) throws LastErrorException;
}
