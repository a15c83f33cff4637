/*
 * Ethernet switch: a learning bridge (IEEE 802.1D-2004 clause 7) with many
 * ports, or a hub. The switch is a device node (simcore/node.h); each of
 * its ports is the far end of an Ethernet point-to-point link (eth_p2p.h)
 * to one node, so every port has that link's rate, delay, impairments,
 * queue, cut/restore and scheduled re-impairment, its counters and its own
 * pcap (both directions of the segment, as for any point-to-point link).
 *
 * Forwarding takes no virtual time (store and forward: a frame is switched
 * the instant its last bit and the segment's delay have passed, then
 * queues for the egress segment's wire). A learning switch:
 *   - learns the source MAC of every frame on its ingress port (7.8), or
 *     moves the entry there; a source with the group bit set (or all zero)
 *     is invalid: the frame is dropped (drop_bad_src);
 *   - drops frames to the reserved 01-80-C2-00-00-0X addresses (7.12.6:
 *     STP, pause, LLDP are never relayed) (drop_reserved);
 *   - sends a frame to a known unicast address out of that port only, or
 *     filters it when that is the ingress port (filtered);
 *   - floods broadcast, multicast and unknown unicast to every port but
 *     the ingress one (flooded);
 *   - forgets an entry not refreshed for ageing_ns (7.9.2; 300 s by
 *     default; 0 never forgets), and everything learnt on a port whose
 *     carrier goes (flushed);
 *   - holds at most table_size entries: when full (after forgetting aged
 *     ones) a new address is not learnt and frames to it are flooded
 *     (table_full).
 * A hub learns nothing and floods everything (a shared segment). In both,
 * a partition splits the ports into groups: frames never cross between
 * groups (drop_partition for a known unicast; floods stay in the group).
 * Nothing is random: a switch draws no numbers (the segments do, each
 * from its own link's stream). Links between switches work (a trunk) but
 * nothing breaks loops: a loop of switches floods forever.
 */
#ifndef SHOAL_ETH_SWITCH_H
#define SHOAL_ETH_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct sim_node;
struct sim_port;
struct eth_switch;

#define ETH_SWITCH_DEFAULT_AGEING_NS (300ull * 1000000000ull)
#define ETH_SWITCH_DEFAULT_TABLE 1024u
#define ETH_SWITCH_MAX_TABLE (1u << 20)

struct eth_switch_params {
    bool hub;             /* flood everything, learn nothing */
    uint64_t ageing_ns;   /* 0: entries never age */
    uint32_t table_size;  /* most entries; 0: ETH_SWITCH_DEFAULT_TABLE */
};

/* A switch: a new device node called name (unique among nodes). Link nodes
 * to it with eth_p2p_new(sim, node, eth_switch_node(sw), ...). NULL on
 * failure with *err = -1 (bad argument, name taken) or -2 (memory). The
 * simulation frees it with its node. */
struct eth_switch *eth_switch_new(struct sim *sim, const char *name, const struct eth_switch_params *params, int *err);
struct sim_node *eth_switch_node(const struct eth_switch *sw);
/* The switch behind a node, or NULL when the node is not a switch. */
struct eth_switch *eth_switch_of(const struct sim_node *node);
bool eth_switch_is_hub(const struct eth_switch *sw);

/* The index-th live entry of the MAC table (in table order): 1 with its
 * MAC, port and age filled, 0 past the end. */
int eth_switch_mac_entry(struct eth_switch *sw, int index, uint8_t mac[6], struct sim_port **port, uint64_t *age_ns);
/* Live entries now. */
size_t eth_switch_mac_count(struct eth_switch *sw);

/* Split the ports into groups at virtual time at_ns (now when in the
 * past): port with index i (1-based, the switch's port numbering) gets
 * group groups[i - 1]; ports beyond n get group 0. n = 0 heals (one
 * group). The MAC table is kept. 0, -1 (bad argument) or -2 (memory). */
int eth_switch_partition(struct eth_switch *sw, const uint32_t *groups, size_t n, uint64_t at_ns);
/* The group of port index i now (0 when never set). */
uint32_t eth_switch_port_group(const struct eth_switch *sw, int port_index);

/* Counter i: its name and value; 0 past the end. */
int eth_switch_stat(const struct eth_switch *sw, int index, const char **name, uint64_t *value);

#endif
