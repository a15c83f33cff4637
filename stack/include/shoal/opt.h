/*
 * Compile-time defaults: every option defined once, with its default and why.
 * Per-instance sizes (pools, tables) are only defaults: struct stack_config
 * overrides them at stack_new() time, so one binary can run instances of
 * different sizes. Pool sizes together give the memory budget of an instance;
 * stack_memory_size() reports it.
 */
#ifndef SHOAL_OPT_H
#define SHOAL_OPT_H

/* Bytes of payload storage in each pool pbuf. Large enough for a full
 * Ethernet frame (1514) plus the headroom a transport segment needs, so that
 * frames are contiguous in one pbuf; smaller values work but chain more. */
#ifndef SHOAL_PBUF_SEG_SIZE
#define SHOAL_PBUF_SEG_SIZE 1600
#endif

/* Number of pbufs in an instance's pool. Received frames, queued packets
 * waiting on ARP and socket receive queues all draw from it. */
#ifndef SHOAL_PBUF_COUNT
#define SHOAL_PBUF_COUNT 64
#endif

/* Headroom reserved in front of a payload for each layer's header:
 * link (Ethernet 14, room for a VLAN tag or PPP framing), IP (IPv6's 40 bytes
 * covers IPv4 with options up to 40), transport (TCP with 40 bytes of options). */
#define SHOAL_PBUF_LINK_HLEN 24
#define SHOAL_PBUF_IP_HLEN 40
#define SHOAL_PBUF_TRANSPORT_HLEN 60

/* Network interfaces per instance. */
#ifndef SHOAL_NETIF_COUNT
#define SHOAL_NETIF_COUNT 4
#endif

/* UDP and raw protocol control blocks per instance. */
#ifndef SHOAL_UDP_PCB_COUNT
#define SHOAL_UDP_PCB_COUNT 8
#endif
#ifndef SHOAL_RAW_PCB_COUNT
#define SHOAL_RAW_PCB_COUNT 4
#endif

/* ARP cache entries, and packets that may wait for an address resolution
 * (across all entries; RFC 1122 2.3.2.2 asks for at least one per entry). */
#ifndef SHOAL_ARP_TABLE_SIZE
#define SHOAL_ARP_TABLE_SIZE 16
#endif
#ifndef SHOAL_ARP_QUEUE_LEN
#define SHOAL_ARP_QUEUE_LEN 8
#endif
/* A resolved entry is forgotten after this long (lwIP: 5 minutes); it is
 * re-requested shortly before that if it is still in use. */
#ifndef SHOAL_ARP_ENTRY_LIFETIME_MS
#define SHOAL_ARP_ENTRY_LIFETIME_MS 300000u
#endif
#ifndef SHOAL_ARP_REREQUEST_BEFORE_MS
#define SHOAL_ARP_REREQUEST_BEFORE_MS 15000u
#endif
/* An unanswered request is repeated every interval, MAX_TRIES times in all,
 * then the entry and its queued packets are dropped (RFC 1122 2.3.2.1:
 * retransmissions must be rate-limited, at most one per second). */
#ifndef SHOAL_ARP_REQUEST_INTERVAL_MS
#define SHOAL_ARP_REQUEST_INTERVAL_MS 1000u
#endif
#ifndef SHOAL_ARP_MAX_TRIES
#define SHOAL_ARP_MAX_TRIES 5
#endif

/* Static routes per instance (connected routes come from the netifs). */
#ifndef SHOAL_ROUTE_COUNT
#define SHOAL_ROUTE_COUNT 8
#endif

/* Default IPv4 TTL (RFC 1700 suggests 64). */
#ifndef SHOAL_IP_DEFAULT_TTL
#define SHOAL_IP_DEFAULT_TTL 64
#endif

/* ICMP error rate limit (RFC 1122 3.2.2, RFC 1812 4.3.2.8): a token bucket
 * refilled at RATE per second up to BURST tokens. Echo replies are not limited. */
#ifndef SHOAL_ICMP_ERR_RATE_PER_S
#define SHOAL_ICMP_ERR_RATE_PER_S 10
#endif
#ifndef SHOAL_ICMP_ERR_BURST
#define SHOAL_ICMP_ERR_BURST 10
#endif

/* First ephemeral port range (RFC 6335 8.1.2: 49152-65535). */
#define SHOAL_EPHEMERAL_PORT_MIN 49152u
#define SHOAL_EPHEMERAL_PORT_MAX 65535u

#endif
