/*
 * Ethernet point-to-point link: two independent directions, each a wire
 * with a rate (serialisation), a propagation delay, jitter, independent and
 * Gilbert–Elliott burst loss, duplication, reordering, bit corruption, a
 * queue of frames waiting for the wire, and an MTU. Every impairment can be
 * changed per direction, and the link cut and restored, now or at a later
 * virtual time (scheduled faults).
 */
#ifndef SHOAL_ETH_P2P_H
#define SHOAL_ETH_P2P_H

#include <stdbool.h>
#include <stdint.h>

#include "impair.h"
#include "link.h"

struct sim_node;

/* Zero is "off" for every impairment, so {.rate_bps = ..., .delay_ns = ...}
 * is a clean link. */
struct eth_p2p_params {
    uint64_t rate_bps;      /* 0: infinitely fast */
    uint64_t delay_ns;
    uint64_t jitter_ns;     /* uniform in [0, jitter_ns] per frame */
    double loss;            /* independent loss, 0..1 */
    uint32_t mtu;           /* payload after the 14-byte header; 0 = 1500 */
    uint32_t queue_frames;  /* frames waiting for the wire; 0 = unlimited */
    bool allow_reorder;     /* if false, jitter never reorders a direction */
    struct ge_params burst; /* Gilbert–Elliott burst loss (impair.h); all 0: off */
    double duplicate;       /* probability that a second copy arrives too */
    double reorder;         /* probability that a frame is held back reorder_delay_ns */
    uint64_t reorder_delay_ns; /* ... and may then be overtaken (whatever allow_reorder says) */
    double corrupt;         /* probability that one bit after the Ethernet header flips */
    double ber;             /* bit error rate: each bit after the header flips independently */
};

#define ETH_P2P_DEFAULT_MTU 1500u

/* Which fields of struct eth_p2p_params a change sets (eth_p2p_set). The
 * MTU is fixed for the link's life: the stacks' netifs were sized by it. */
enum eth_p2p_field {
    ETH_P2P_RATE = 1u << 0,
    ETH_P2P_DELAY = 1u << 1,
    ETH_P2P_JITTER = 1u << 2,
    ETH_P2P_LOSS = 1u << 3,
    ETH_P2P_QUEUE = 1u << 4,
    ETH_P2P_ALLOW_REORDER = 1u << 5,
    ETH_P2P_BURST = 1u << 6,
    ETH_P2P_DUPLICATE = 1u << 7,
    ETH_P2P_REORDER = 1u << 8,     /* reorder and reorder_delay_ns */
    ETH_P2P_CORRUPT = 1u << 9,
    ETH_P2P_BER = 1u << 10,
    ETH_P2P_ALL_FIELDS = (1u << 11) - 1u
};

/* Every probability in [0, 1] (NaN refused). */
bool eth_p2p_params_valid(const struct eth_p2p_params *params);

/* Join a and b (each gets a new port). NULL on failure with *err a link_err. */
struct link *eth_p2p_new(struct sim *sim, struct sim_node *a, struct sim_node *b, const char *name,
                         const struct eth_p2p_params *params, const char *pcap_path, int *err);

/* Whether l is an Ethernet point-to-point link. */
bool eth_p2p_is(const struct link *l);

/* Set the `fields` of the direction whose frames `sender` sends (NULL:
 * both directions) to those in `values`, at virtual time at_ns (now when
 * in the past). The others stay as they are. A change of the burst
 * parameters restarts that direction's chain in the good state. Frames
 * already accepted keep the rate, delay and impairments they got.
 * 0, or LINK_EBADARG (not this kind, sender not on it, invalid values,
 * unknown fields) or LINK_ENOMEM. */
int eth_p2p_set(struct link *l, const struct sim_node *sender, uint32_t fields,
                const struct eth_p2p_params *values, uint64_t at_ns);

/* The parameters in force now for frames that `sender` sends (NULL: the
 * first end's). 0, or LINK_EBADARG. */
int eth_p2p_get(const struct link *l, const struct sim_node *sender, struct eth_p2p_params *out);

/* Cut (up = false) or restore the link at virtual time at_ns (now when in
 * the past), like pulling and plugging a cable: while down every frame is
 * dropped (drop_down), including those waiting for the wire and those on
 * it when it went down, and the stack nodes' interfaces see link down and
 * link up (netif_set_link_down/up: ARP caches flush; on link up each
 * announces its address). Setting the state it already has does nothing.
 * 0, LINK_EBADARG or LINK_ENOMEM. */
int eth_p2p_set_up(struct link *l, bool up, uint64_t at_ns);
bool eth_p2p_is_up(const struct link *l);

#endif
