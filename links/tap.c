/* TAP bridge between a node's port and a Linux TAP device; see tap.h. */
/* setns, the tun ioctls and O_NONBLOCK are Linux/POSIX, hidden by strict C11. */
#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "node.h"
#include "pcap_writer.h"
#include "realtime.h"

#define DLT_EN10MB_VALUE 1
#define ETH_HEADER_LEN 14u
#define TAP_DEFAULT_MTU 1500u
#define TAP_READ_BUF 65536u
/* Frames read per wake-up, so that a flooding host cannot starve the
 * simulation's own events. */
#define TAP_READ_BURST 64

enum tap_counter {
    C_FRAMES,          /* frames that crossed the bridge, both directions */
    C_BYTES,
    C_TO_TAP,          /* written to the TAP (sent by the simulated port) */
    C_TO_TAP_BYTES,
    C_FROM_TAP,        /* read from the TAP (sent by the host) */
    C_FROM_TAP_BYTES,
    C_DELIVERED,
    C_DROP,            /* all drops */
    C_DROP_WRITE,      /* the kernel refused the write (TAP down: EIO; full: EAGAIN) */
    C_DROP_MTU,        /* too big for the port's MTU, either way */
    C_DROP_RUNT,       /* read from the TAP shorter than an Ethernet header */
    C_RX_NOMEM,        /* the receiving stack had no pbuf */
    C_COUNT
};

static const char *const counter_names[C_COUNT] = {
    "frames", "bytes", "to_tap", "to_tap_bytes", "from_tap", "from_tap_bytes", "delivered",
    "drop", "drop_write", "drop_mtu", "drop_runt", "rx_nomem",
};

struct tap_link {
    struct link base;          /* first: a struct link * is a struct tap_link * */
    struct sim_port *port;
    int fd;
    uint32_t mtu;
    char ifname[IFNAMSIZ];
    uint64_t counters[C_COUNT];
    uint8_t buf[TAP_READ_BUF];
};

static void count_drop(struct tap_link *t, enum tap_counter cause)
{
    t->counters[cause]++;
    t->counters[C_DROP]++;
}

/* The port sends: straight to the kernel. */
static int tap_tx(void *linkp, struct sim_port *from, const uint8_t *frame, size_t len)
{
    (void)from;
    struct tap_link *t = linkp;
    if (len > ETH_HEADER_LEN && len - ETH_HEADER_LEN > t->mtu) {
        count_drop(t, C_DROP_MTU);
        return -1;
    }
    pcap_writer_write(t->base.pcap, t->base.sim->now_ns, frame, len);
    t->counters[C_FRAMES]++;
    t->counters[C_BYTES] += len;
    ssize_t n = write(t->fd, frame, len);
    if (n != (ssize_t)len) {
        /* Like a wire with nobody listening: not the sender's error. */
        count_drop(t, C_DROP_WRITE);
        return 0;
    }
    t->counters[C_TO_TAP]++;
    t->counters[C_TO_TAP_BYTES] += len;
    return 0;
}

/* A frame from the host reaches the port (an event of the instant it was read). */
static void deliver_event(void *arg, void *payload, uint64_t aux)
{
    (void)aux;
    struct tap_link *t = arg;
    struct link_frame *f = payload;
    if (sim_port_deliver(t->port, f->data, f->len) != 0) count_drop(t, C_RX_NOMEM);
    else t->counters[C_DELIVERED]++;
    free(f);
}

/* The TAP is readable (realtime.c calls this with the clock at "now"). */
static void tap_readable(void *arg)
{
    struct tap_link *t = arg;
    struct sim *sim = t->base.sim;
    for (int i = 0; i < TAP_READ_BURST; i++) {
        ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
        if (n < 0) return; /* EAGAIN: drained (or the device went away) */
        size_t len = (size_t)n;
        if (len < ETH_HEADER_LEN) {
            count_drop(t, C_DROP_RUNT);
            continue;
        }
        pcap_writer_write(t->base.pcap, sim->now_ns, t->buf, len);
        t->counters[C_FRAMES]++;
        t->counters[C_BYTES] += len;
        t->counters[C_FROM_TAP]++;
        t->counters[C_FROM_TAP_BYTES] += len;
        if (len - ETH_HEADER_LEN > t->mtu) {
            count_drop(t, C_DROP_MTU);
            continue;
        }
        struct link_frame *f = link_frame_new(t->buf, len);
        /* (A failed schedule frees the frame itself.) */
        if (f == NULL || sim_schedule(sim, sim->now_ns, deliver_event, t, f, 0) != 0) count_drop(t, C_RX_NOMEM);
    }
}

static int tap_stat(const struct link *base, int index, const char **name, uint64_t *value)
{
    const struct tap_link *t = (const struct tap_link *)base;
    if (index < 0 || index >= C_COUNT) return 0;
    *name = counter_names[index];
    *value = t->counters[index];
    return 1;
}

static int tap_ifindex(const struct link *base, const struct sim_node *node)
{
    const struct tap_link *t = (const struct tap_link *)base;
    return t->port->node == node ? t->port->index : -1;
}

static void tap_destroy(struct link *base)
{
    struct tap_link *t = (struct tap_link *)base;
    /* The simulation (and its realtime watch list) is gone by now. */
    if (t->fd >= 0) close(t->fd);
    free(t);
}

static const struct link_ops tap_ops = {
    .kind = "tap",
    .stat = tap_stat,
    .ifindex = tap_ifindex,
    .destroy = tap_destroy,
};

int tap_is(const struct link *l) { return l != NULL && l->ops == &tap_ops; }

/* Open /dev/net/tun bound to ifname, inside netns_path if given (setns
 * applies to this thread only, and is undone before returning). */
static int tap_open(const char *ifname, const char *netns_path, char *errbuf, size_t errlen)
{
    int home = -1;
    if (netns_path != NULL) {
        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int ns = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (home < 0 || ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
            snprintf(errbuf, errlen, "cannot enter network namespace %s: %s", netns_path, strerror(errno));
            if (ns >= 0) close(ns);
            if (home >= 0) close(home);
            return -1;
        }
        close(ns);
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
    } else {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        /* Ethernet frames, without the 4-byte packet information header. */
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
            snprintf(errbuf, errlen, "TUNSETIFF %s: %s", ifname, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (home >= 0) {
        if (setns(home, CLONE_NEWNET) != 0 && fd >= 0) {
            snprintf(errbuf, errlen, "cannot return to the original network namespace: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
        close(home);
    }
    return fd;
}

struct link *tap_new(struct sim *sim, struct sim_node *node, const char *ifname, const char *netns_path,
                     const char *name, uint32_t mtu, const char *pcap_path, int *err, char *errbuf, size_t errlen)
{
    if (sim == NULL || node == NULL || node->sim != sim || ifname == NULL || ifname[0] == '\0' ||
        strlen(ifname) >= IFNAMSIZ || name == NULL || name[0] == '\0') {
        snprintf(errbuf, errlen, "bad arguments (an interface name has 1 to %d characters)", IFNAMSIZ - 1);
        *err = LINK_EBADARG;
        return NULL;
    }
    struct tap_link *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        *err = LINK_ENOMEM;
        return NULL;
    }
    t->mtu = mtu ? mtu : TAP_DEFAULT_MTU;
    snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
    t->fd = tap_open(ifname, netns_path, errbuf, errlen);
    if (t->fd < 0) {
        free(t);
        *err = LINK_EBADARG;
        return NULL;
    }
    int rc = link_init(&t->base, &tap_ops, sim, name, pcap_path, DLT_EN10MB_VALUE);
    if (rc != 0) {
        snprintf(errbuf, errlen, rc == LINK_EPCAP ? "cannot write the pcap %s" : "out of memory",
                 pcap_path ? pcap_path : "");
        close(t->fd);
        free(t);
        *err = rc;
        return NULL;
    }
    t->port = sim_node_attach(node, t->mtu, tap_tx, t);
    if (t->port == NULL) {
        snprintf(errbuf, errlen, "%s has no free interface", node->name);
        link_fini(&t->base);
        close(t->fd);
        free(t);
        *err = LINK_ENOPORT;
        return NULL;
    }
    if (sim_realtime_watch(sim, t->fd, tap_readable, t) != 0) {
        snprintf(errbuf, errlen, "too many host devices in one simulation (at most %u)", SIM_REALTIME_MAX_FDS);
        sim_node_detach_last(node, t->port);
        link_fini(&t->base);
        close(t->fd);
        free(t);
        *err = LINK_ENOMEM;
        return NULL;
    }
    sim_port_set_up(t->port);
    return &t->base;
}
