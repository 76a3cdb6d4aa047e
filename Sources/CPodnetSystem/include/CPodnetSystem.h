#ifndef CPODNET_SYSTEM_H
#define CPODNET_SYSTEM_H
#include <sys/types.h>
#include <spawn.h>

// Swift's Glibc module does not export these: it is built without _GNU_SOURCE.
int podnet_setns(int fd, int nstype);
int podnet_unshare(int flags);
int podnet_clone_newnet(void);
pid_t podnet_gettid(void);

// Added for the namespace handling (PodnetKernel/System).
int podnet_clone_newns(void);
int podnet_clone_fs(void);
// pipe2(O_CLOEXEC): a pipe that no concurrently spawned child can inherit.
int podnet_pipe2_cloexec(int fds[2]);
// Closes every descriptor >= from in the child (glibc >= 2.34).
int podnet_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);
// Names the calling thread (at most 15 bytes are kept), for ps and /proc/<pid>/task/<tid>/comm.
int podnet_set_current_thread_name(const char *name);
// ioctl(NS_GET_NSTYPE): the CLONE_NEW* type of a namespace file, or -1 with errno
// (ENOTTY when the file is not a namespace, e.g. a stale /run/netns entry).
int podnet_ns_get_nstype(int fd);

// Added for podnet watch (PodnetKernel/Watch).
// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads it starts later
// inherit the mask) and returns a signalfd(CLOEXEC|NONBLOCK) that reads them, or -1.
int podnet_termination_signalfd(void);
// Reads one pending signal from that descriptor: its number; -1 with errno (EAGAIN: none).
int podnet_signalfd_read(int fd);
// epoll, which Swift's Glibc module does not export: an instance (CLOEXEC), a
// descriptor added for reading (its own number as the event's data) or removed, and
// a wait that writes the ready descriptors' numbers into `ready` and returns how many.
int podnet_epoll_create(void);
int podnet_epoll_add(int epoll, int fd);
int podnet_epoll_remove(int epoll, int fd);
int podnet_epoll_wait(int epoll, int *ready, int capacity, int timeout_milliseconds);

#endif
