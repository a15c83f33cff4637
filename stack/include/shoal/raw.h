/* Raw IP protocol control blocks (lwIP's raw API): see or send whole
 * protocols, such as ICMP for ping. */
#ifndef SHOAL_RAW_H
#define SHOAL_RAW_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip_addr.h"

struct stack;
struct pbuf;
struct raw_pcb;
struct ip4_rx_info;

/* IPv4: p's payload starts at the IP header; IPv6: after the IPv6 header
 * and its extension headers (RFC 3542 3). Return true to take p (then free
 * it yourself); false leaves it to the stack and to other PCBs. */
typedef bool (*raw_recv_fn)(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr);

struct raw_pcb {
    struct raw_pcb *next;
    struct stack *stack;
    ip_addr_t local_ip;     /* its type is the PCB's family */
    ip_addr_t remote_ip;    /* connected: only from this peer */
    uint8_t protocol;
    uint8_t ttl;            /* IPv6: hop limit, 0 = the netif's */
    uint8_t tos;
    bool connected;
    /* IPV6_CHECKSUM (RFC 3542 3.1): the stack fills (and checks on input)
     * the upper-layer checksum at this offset of IPv6 payloads; -1 none.
     * ICMPv6 PCBs start at 2 (RFC 3542 3.1: always for ICMPv6). */
    int16_t chksum_offset;
    raw_recv_fn recv;
    void *recv_arg;
};

/* An IPv4 PCB (lwIP's raw_new). */
struct raw_pcb *raw_new(struct stack *s, uint8_t protocol);
struct raw_pcb *raw_new_ip_type(struct stack *s, enum ip_addr_type type, uint8_t protocol);
void raw_remove(struct raw_pcb *pcb);
err_t raw_bind(struct raw_pcb *pcb, const ip_addr_t *ip);
err_t raw_connect(struct raw_pcb *pcb, const ip_addr_t *ip);
void raw_recv(struct raw_pcb *pcb, raw_recv_fn fn, void *arg);
/* p is the protocol payload (PBUF_IP headroom); the IP header is added. */
err_t raw_sendto(struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *dst);
err_t raw_send(struct raw_pcb *pcb, struct pbuf *p);

/* From ip4_input, before the protocol's own handler: true if a PCB took p. */
bool raw_input(struct pbuf *p, const struct ip4_rx_info *info);

#endif
