/*
 * TAP bridge: a link with one end on a node's port (a stack node, a raw
 * host or a switch) and the other on a Linux TAP device, so real programs
 * on the host talk to simulated stacks. Frames the port sends are written
 * to the TAP at once; frames the kernel sends on the TAP are read when the
 * simulation polls (realtime.h) and reach the port at that virtual instant.
 * No delay, rate or impairment: the bridge is a cable. Attaching one puts
 * the simulation in realtime mode for the rest of its life.
 *
 * The capture holds both directions, each frame when it crossed the bridge.
 */
#ifndef SHOAL_TAP_H
#define SHOAL_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

struct sim_node;

/* Attach node to the TAP device `ifname` (created, non-persistent, if it
 * does not exist; an existing persistent one, e.g. from `ip tuntap add`, is
 * attached to). netns_path: a network namespace file (/run/netns/NAME) to
 * look the device up in, or NULL for the caller's own. mtu: largest payload
 * after the Ethernet header (0: 1500). NULL on failure, with *err a
 * link_err and a message in errbuf. */
struct link *tap_new(struct sim *sim, struct sim_node *node, const char *ifname, const char *netns_path,
                     const char *name, uint32_t mtu, const char *pcap_path, int *err, char *errbuf, size_t errlen);

/* Whether l is a TAP bridge. */
int tap_is(const struct link *l);

#endif
