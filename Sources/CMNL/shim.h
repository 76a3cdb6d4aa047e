// glibc's <netinet/in.h> must come before the uapi headers: <linux/libc-compat.h> then
// leaves struct in6_addr and friends to glibc, and a module that imports both CMNL and
// Glibc/Foundation does not see two conflicting definitions.
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/if_tunnel.h>
#include <linux/veth.h>
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/ip_vs.h>
