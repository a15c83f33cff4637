/*
 * IPv6 delivery into the transports (udp.c, tcp_in.c, raw.c implement
 * these; ip6.c calls them). p's payload is the upper-layer header; the
 * callee takes p. raw_input_ip6 runs first and returns true if a PCB took p.
 */
#ifndef SHOAL_IP6_UPPER_H
#define SHOAL_IP6_UPPER_H

#include "shoal/ip6.h"

struct pbuf;

void udp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info);
void tcp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info);
bool raw_input_ip6(struct pbuf *p, const struct ip6_rx_info *info);

/* The path MTU towards dst went down (icmp6.c, after a Packet Too Big):
 * TCP connections to dst shrink their segments (RFC 8201 5.2). */
struct stack;
void tcp_pmtu_lowered(struct stack *s, const ip6_addr_t *dst);

#endif
