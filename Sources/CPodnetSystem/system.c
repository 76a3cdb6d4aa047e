#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <signal.h>
#include <linux/nsfs.h>
#include "CPodnetSystem.h"

int podnet_setns(int fd, int nstype) { return setns(fd, nstype); }
int podnet_unshare(int flags) { return unshare(flags); }
int podnet_clone_newnet(void) { return CLONE_NEWNET; }
pid_t podnet_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int podnet_clone_newns(void) { return CLONE_NEWNS; }
int podnet_clone_fs(void) { return CLONE_FS; }
int podnet_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int podnet_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
int podnet_set_current_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
int podnet_ns_get_nstype(int fd) { return ioctl(fd, NS_GET_NSTYPE); }

int podnet_termination_signalfd(void) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &signals, NULL) != 0) return -1;
    return signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
}
int podnet_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t got = read(fd, &info, sizeof info);
    if (got != (ssize_t)sizeof info) return -1;
    return (int)info.ssi_signo;
}

int podnet_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int podnet_epoll_add(int epoll, int fd) {
    struct epoll_event event = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}
int podnet_epoll_remove(int epoll, int fd) { return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL); }
int podnet_epoll_wait(int epoll, int *ready, int capacity, int timeout_milliseconds) {
    struct epoll_event events[64];
    int count = epoll_wait(epoll, events, capacity < 64 ? capacity : 64, timeout_milliseconds);
    for (int i = 0; i < count; i++) ready[i] = events[i].data.fd;
    return count;
}
