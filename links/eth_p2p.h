/*
 * Ethernet point-to-point link: two independent directions, each a wire
 * with a rate (serialisation), a propagation delay, jitter, independent
 * loss, a queue of frames waiting for the wire, and an MTU.
 */
#ifndef SHOAL_ETH_P2P_H
#define SHOAL_ETH_P2P_H

#include <stdbool.h>
#include <stdint.h>

#include "link.h"

struct sim_node;

struct eth_p2p_params {
    uint64_t rate_bps;      /* 0: infinitely fast */
    uint64_t delay_ns;
    uint64_t jitter_ns;     /* uniform in [0, jitter_ns] per frame */
    double loss;            /* 0..1 */
    uint32_t mtu;           /* payload after the 14-byte header; 0 = 1500 */
    uint32_t queue_frames;  /* frames waiting for the wire; 0 = unlimited */
    bool allow_reorder;     /* if false, jitter never reorders a direction */
};

#define ETH_P2P_DEFAULT_MTU 1500u

/* Join a and b (each gets a new port). NULL on failure with *err a link_err. */
struct link *eth_p2p_new(struct sim *sim, struct sim_node *a, struct sim_node *b, const char *name,
                         const struct eth_p2p_params *params, const char *pcap_path, int *err);

#endif
