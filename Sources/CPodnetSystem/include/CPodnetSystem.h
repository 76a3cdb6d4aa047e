#ifndef CPODNET_SYSTEM_H
#define CPODNET_SYSTEM_H
#include <sys/types.h>

// Swift's Glibc module does not export these: it is built without _GNU_SOURCE.
int podnet_setns(int fd, int nstype);
int podnet_unshare(int flags);
int podnet_clone_newnet(void);
pid_t podnet_gettid(void);

#endif
