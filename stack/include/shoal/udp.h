/* UDP (RFC 768, RFC 1122 4.1): the lwIP-shaped raw API. */
#ifndef SHOAL_UDP_H
#define SHOAL_UDP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip_addr.h"

struct stack;
struct pbuf;
struct udp_pcb;
struct netif;
struct ip4_rx_info;
struct ip6_rx_info;

#define UDP_HDR_LEN 8u

#define UDP_FLAGS_CONNECTED 0x01u
#define UDP_FLAGS_BROADCAST 0x02u  /* SO_BROADCAST: may send to broadcast addresses */
#define UDP_FLAGS_NOCHKSUM 0x04u   /* send with checksum 0 (allowed over IPv4) */
#define UDP_FLAGS_UDPLITE 0x08u    /* UDP-Lite (RFC 3828), IP protocol 136 */
/* IPV6_V6ONLY is the local address's type: V6 hears IPv6 only, ANY both. */

/* Validated view of a UDP header. */
struct udp_repr {
    uint16_t src_port;
    uint16_t dst_port;
    uint16_t length;    /* header + payload, from the header */
    uint16_t checksum;  /* as on the wire; 0 = none */
};
/* ERR_BUF: shorter than 8 bytes, or length field < 8 or > len. */
err_t udp_parse(const uint8_t *p, size_t len, struct udp_repr *out);
void udp_emit(const struct udp_repr *r, uint8_t *p);

/* Called with a datagram's payload; the callback owns p and must free it.
 * addr/port: the sender. */
typedef void (*udp_recv_fn)(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                            uint16_t port);

struct udp_pcb {
    struct udp_pcb *next;
    struct stack *stack;
    ip_addr_t local_ip;    /* its type is the PCB's family; the wildcard: any */
    ip_addr_t remote_ip;
    uint16_t local_port;
    uint16_t remote_port;
    uint8_t flags;
    uint8_t ttl;           /* IPv6: hop limit, 0 = the netif's (RFC 4861 6.3.4 CurHopLimit) */
    uint8_t tos;           /* IPv6: traffic class */
    uint8_t netif_idx;     /* bound to one netif, 0 = any */
    uint8_t mcast_ttl;     /* TTL of multicast datagrams (RFC 1112 6.1: default 1) */
    uint8_t mcast_netif_idx; /* where multicast goes out, 0 = the first netif up */
    uint16_t chksum_len_tx;  /* UDP-Lite: checksum coverage sent, 0 = whole datagram */
    uint16_t chksum_len_rx;  /* UDP-Lite: least coverage accepted, 0 = whole datagram */
    udp_recv_fn recv;
    void *recv_arg;
};

/* An IPv4 PCB (lwIP's udp_new). */
struct udp_pcb *udp_new(struct stack *s);
/* A PCB of the given family; IPADDR_TYPE_ANY is dual-stack. */
struct udp_pcb *udp_new_ip_type(struct stack *s, enum ip_addr_type type);
void udp_remove(struct udp_pcb *pcb);
/* Port 0 picks a free ephemeral port. ERR_USE when taken. ip NULL: the
 * wildcard of the PCB's family; otherwise the PCB takes ip's type. */
err_t udp_bind(struct udp_pcb *pcb, const ip_addr_t *ip, uint16_t port);
err_t udp_connect(struct udp_pcb *pcb, const ip_addr_t *ip, uint16_t port);
void udp_disconnect(struct udp_pcb *pcb);
void udp_recv(struct udp_pcb *pcb, udp_recv_fn fn, void *arg);
/* p is the payload (allocate with PBUF_TRANSPORT); it stays the caller's. */
err_t udp_send(struct udp_pcb *pcb, struct pbuf *p);
/* ERR_VAL when dst's family is not the PCB's. */
err_t udp_sendto(struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *dst, uint16_t port);
err_t udp_sendto_if(struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *dst, uint16_t port,
                    struct netif *netif);

/* From ip4_input: p's payload is the UDP (or UDP-Lite) header. Takes p. */
void udp_input(struct pbuf *p, const struct ip4_rx_info *info);

#endif
