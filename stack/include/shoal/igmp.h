/*
 * IGMPv2 (RFC 2236): host side. Groups are joined per interface; the stack
 * answers queries after a random delay, suppresses its report when another
 * member answers first, and sends Leave when it was the last to report.
 */
#ifndef SHOAL_IGMP_H
#define SHOAL_IGMP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"

struct netif;
struct pbuf;
struct ip4_rx_info;

#define IGMP_MEMBERSHIP_QUERY 0x11u
#define IGMP_V1_MEMBERSHIP_REPORT 0x12u
#define IGMP_V2_MEMBERSHIP_REPORT 0x16u
#define IGMP_LEAVE_GROUP 0x17u
#define IGMP_MSG_LEN 8u

/* Join a group on a netif (reference counted: two joins need two leaves).
 * ERR_VAL for a non-multicast address, ERR_MEM when the group table is full. */
err_t igmp_joingroup_netif(struct netif *netif, const ip4_addr_t *group);
err_t igmp_leavegroup_netif(struct netif *netif, const ip4_addr_t *group);

/* Is the netif a member (224.0.0.1, all-hosts, always is)? */
bool igmp_is_member(const struct netif *netif, const ip4_addr_t *group);

/* An IGMP message (IP header removed). Takes p. */
void igmp_input(struct pbuf *p, const struct ip4_rx_info *info);

/* Forget a netif's groups (it goes away). */
void igmp_netif_removed(struct netif *netif);

#endif
