/*
 * Replay of a capture into a node's port: the frames of a pcap (or pcapng)
 * file arrive at the port at their recorded times relative to the first
 * frame, offset to a chosen virtual time, so that a bug seen in the field
 * reproduces in the simulator. Frames go straight to the port (the link's
 * delay, rate and impairments do not apply: the capture already has the
 * timing) and are written to the capture of the link the port is on, so the
 * simulation's pcap shows stimulus and response together.
 *
 * Link types read: Ethernet (1), raw IP (101, and 228/229 IPv4/IPv6), Linux
 * cooked (113). Frames that are not Ethernet get an Ethernet header
 * addressed to the port. Options rewrite the unicast destination MAC to the
 * port's and map IPv4 addresses (both directions, ARP included), updating
 * the IPv4 header, UDP and TCP checksums incrementally (RFC 1624): a
 * checksum that was right stays right, one that was wrong in the capture
 * stays wrong by the same amount, since that may be the bug being replayed.
 *
 * The file is read as the replay goes (one frame ahead), so captures of any
 * size cost one frame of memory. Reading happens in simulator events;
 * nothing depends on the wall clock.
 */
#ifndef SHOAL_PCAP_REPLAY_H
#define SHOAL_PCAP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct sim_port;
struct link;
struct pcap_replay;

#define PCAP_REPLAY_MAX_IP_MAP 16u

struct pcap_replay_opts {
    uint64_t start_ns;          /* virtual time of the capture's first frame */
    bool rewrite_mac;           /* unicast destination MAC (and ARP target MAC) -> the port's */
    bool skip_own;              /* skip frames whose source MAC is the port's (its own transmissions) */
    uint8_t wrap_src_mac[6];    /* source MAC of frames that had no Ethernet header */
    size_t ip_map_count;
    uint32_t ip_from[PCAP_REPLAY_MAX_IP_MAP]; /* IPv4, host order: from[i] becomes to[i] */
    uint32_t ip_to[PCAP_REPLAY_MAX_IP_MAP];
    const char *filter;         /* libpcap filter expression on the original frames, or NULL */
};

/* What replay_rewrite() changed. */
enum replay_rewrite_done { REPLAY_REWROTE_MAC = 1, REPLAY_REWROTE_IP = 2 };

/* Apply the rewriting options to one Ethernet frame in place (port_mac:
 * the port's address). Returns the replay_rewrite_done bits. Malformed or
 * short frames are left as they are (bad input is data). */
unsigned replay_rewrite(uint8_t *frame, size_t len, const uint8_t port_mac[6], const struct pcap_replay_opts *o);

/* Start replaying `path` into `port`, writing injected frames to the
 * capture of `capture` (NULL: none). NULL on failure with a message in
 * errbuf (unreadable file, unsupported link type, bad filter). The first
 * frame is due at opts->start_ns (now if earlier). */
struct pcap_replay *pcap_replay_start(struct sim *sim, struct sim_port *port, struct link *capture, const char *path,
                                      const struct pcap_replay_opts *opts, char *errbuf, size_t errlen);

/* True when every frame was injected (or the replay was stopped). */
bool pcap_replay_done(const struct pcap_replay *r);
/* Counter i: 1 with its name and value, 0 past the end. */
int pcap_replay_stat(const struct pcap_replay *r, int index, const char **name, uint64_t *value);
/* Inject nothing more; the file is closed. */
void pcap_replay_stop(struct pcap_replay *r);
/* Free it. A pending event may still name it until the replay is done,
 * so free it after sim_free() (which drops events without running them),
 * or once pcap_replay_done() is true and it was not stopped early. */
void pcap_replay_free(struct pcap_replay *r);

#endif
