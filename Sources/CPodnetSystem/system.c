#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "CPodnetSystem.h"

int podnet_setns(int fd, int nstype) { return setns(fd, nstype); }
int podnet_unshare(int flags) { return unshare(flags); }
int podnet_clone_newnet(void) { return CLONE_NEWNET; }
pid_t podnet_gettid(void) { return (pid_t)syscall(SYS_gettid); }
