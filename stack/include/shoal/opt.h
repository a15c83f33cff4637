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

/* IPv4 reassembly (RFC 791 3.2, RFC 815): datagrams being put together at
 * once, fragments held across all of them, and how long a datagram may
 * take to complete (RFC 1122 3.3.2: 60 s to 120 s recommended; 15 s is
 * RFC 791's lower bound and what lwIP and many hosts use). */
#ifndef SHOAL_IP4_REASS_MAX
#define SHOAL_IP4_REASS_MAX 4
#endif
#ifndef SHOAL_IP4_REASS_FRAGS
#define SHOAL_IP4_REASS_FRAGS 32
#endif
#ifndef SHOAL_IP4_REASS_TIMEOUT_MS
#define SHOAL_IP4_REASS_TIMEOUT_MS 15000u
#endif

/* IGMP group memberships per instance (all interfaces together). */
#ifndef SHOAL_IGMP_GROUPS
#define SHOAL_IGMP_GROUPS 8
#endif

/* Feature selection. A feature is left out by not building its files and
 * setting its switch to 0 here (or with -D): the few places that call into
 * it go through the inline helpers of stack/ipv4/features.h, which become
 * no-ops. The code-size report builds the feature sets of DESIGN.md so. */
#ifndef SHOAL_IP4_FRAG
#define SHOAL_IP4_FRAG 1     /* reassembly and fragmentation (ipv4/ip4_frag.c) */
#endif
#ifndef SHOAL_IP4_FORWARD
#define SHOAL_IP4_FORWARD 1  /* routing between netifs (ipv4/ip4_forward.c) */
#endif
#ifndef SHOAL_IGMP
#define SHOAL_IGMP 1         /* IGMPv2 and multicast (ipv4/igmp.c, ipv4/igmp_router.c) */
#endif
#ifndef SHOAL_ACD
#define SHOAL_ACD 1          /* RFC 5227 conflict detection (ipv4/acd.c) */
#endif
#ifndef SHOAL_DHCP
#define SHOAL_DHCP 1         /* DHCP client (ipv4/dhcp.c, ipv4/dhcp_msg.c) */
#endif
#ifndef SHOAL_AUTOIP
#define SHOAL_AUTOIP 1       /* RFC 3927 link-local addresses (ipv4/autoip.c) */
#endif
/* IPv6 (RFC 8200) and its companions: ICMPv6, Neighbor Discovery, SLAAC,
 * MLDv1 (stack/ipv6/). SHOAL_IPV6 0 leaves them all out (an IPv4-only
 * build); the finer switches leave out parts of a dual stack. */
#ifndef SHOAL_IPV6
#define SHOAL_IPV6 1
#endif
#ifndef SHOAL_IP6_FRAG
#define SHOAL_IP6_FRAG 1     /* fragmentation and reassembly (ipv6/ip6_frag.c) */
#endif
#ifndef SHOAL_IP6_FORWARD
#define SHOAL_IP6_FORWARD 1  /* routing between netifs (ipv6/ip6_forward.c) */
#endif
#ifndef SHOAL_DHCP6
#define SHOAL_DHCP6 1        /* stateless DHCPv6 client (ipv6/dhcp6.c) */
#endif
/* IPv6 addresses per netif: link-local, and up to four more (manual,
 * SLAAC, temporary). */
#ifndef SHOAL_NETIF_IP6_ADDRS
#define SHOAL_NETIF_IP6_ADDRS 5
#endif
/* Prefixes a router netif advertises (nd6 router mode). */
#ifndef SHOAL_ND6_RA_PREFIXES
#define SHOAL_ND6_RA_PREFIXES 4
#endif
/* Per-instance IPv6 table sizes (stack_config overrides them). */
#ifndef SHOAL_IP6_ROUTE_COUNT
#define SHOAL_IP6_ROUTE_COUNT 8
#endif
#ifndef SHOAL_ND6_NEIGHBORS
#define SHOAL_ND6_NEIGHBORS 16
#endif
#ifndef SHOAL_ND6_ROUTERS
#define SHOAL_ND6_ROUTERS 4
#endif
#ifndef SHOAL_ND6_PREFIXES
#define SHOAL_ND6_PREFIXES 8
#endif
/* Destinations remembered for redirects and path MTU (RFC 4861 5.1, RFC 8201 5). */
#ifndef SHOAL_ND6_DESTS
#define SHOAL_ND6_DESTS 16
#endif
/* Packets waiting for address resolution, all neighbors together
 * (RFC 4861 7.2.2: at least one per neighbor). */
#ifndef SHOAL_ND6_QUEUE_LEN
#define SHOAL_ND6_QUEUE_LEN 8
#endif
#ifndef SHOAL_MLD6_GROUPS
#define SHOAL_MLD6_GROUPS 16
#endif
/* RFC 8200 4.5: give up reassembly 60 s after the first fragment. */
#ifndef SHOAL_IP6_REASS_MAX
#define SHOAL_IP6_REASS_MAX 4
#endif
#ifndef SHOAL_IP6_REASS_FRAGS
#define SHOAL_IP6_REASS_FRAGS 32
#endif
#ifndef SHOAL_IP6_REASS_TIMEOUT_MS
#define SHOAL_IP6_REASS_TIMEOUT_MS 60000u
#endif

/* Names of the counters ("ip4.chkerr") as one table, for hosts that list
 * them; small targets read counters by index and may leave the table out. */
#ifndef SHOAL_STATS_NAMES
#define SHOAL_STATS_NAMES 1
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

/* TCP: connection PCBs (listeners included), and segments: each queued,
 * unacknowledged or out-of-order segment holds one element and its pbufs. */
#ifndef SHOAL_TCP_PCB_COUNT
#define SHOAL_TCP_PCB_COUNT 8
#endif
#ifndef SHOAL_TCP_SEG_COUNT
#define SHOAL_TCP_SEG_COUNT 64
#endif
/* Largest segment we send and announce (RFC 9293 3.7.1: 536 without the
 * option; 1460 fits a 1500-byte MTU). Clamped to the route's MTU. */
#ifndef SHOAL_TCP_MSS
#define SHOAL_TCP_MSS 1460
#endif
/* Send buffer and receive window, bytes. Windows above 65535 use window
 * scaling (RFC 7323 2). */
#ifndef SHOAL_TCP_SND_BUF
#define SHOAL_TCP_SND_BUF (32u * 1024u)
#endif
#ifndef SHOAL_TCP_WND
#define SHOAL_TCP_WND (32u * 1024u)
#endif
/* Segments the out-of-order queue may hold per connection. */
#ifndef SHOAL_TCP_OOSEQ_MAX
#define SHOAL_TCP_OOSEQ_MAX 32
#endif
/* Maximum segment lifetime; TIME-WAIT lasts 2 MSL (RFC 9293 3.4.2 suggests
 * 2 minutes for MSL; many stacks use less). */
#ifndef SHOAL_TCP_MSL_MS
#define SHOAL_TCP_MSL_MS 30000u
#endif
/* RFC 6298 2.1 / 2.4: initial RTO 1 s, lower bound 1 s (configurable, as
 * simulations of fast links often want less), upper bound 60 s. */
#ifndef SHOAL_TCP_RTO_INIT_MS
#define SHOAL_TCP_RTO_INIT_MS 1000u
#endif
#ifndef SHOAL_TCP_RTO_MIN_MS
#define SHOAL_TCP_RTO_MIN_MS 1000u
#endif
#define SHOAL_TCP_RTO_MAX_MS 60000u
/* Give up after this many retransmissions of one segment. For a SYN, RFC
 * 1122 4.2.3.5 wants at least 3 minutes: 8 backed-off retransmissions
 * from a 1 s RTO span 1+2+...+32+60+60 = 183 s. */
#ifndef SHOAL_TCP_MAX_RTX
#define SHOAL_TCP_MAX_RTX 12
#endif
#ifndef SHOAL_TCP_SYN_MAX_RTX
#define SHOAL_TCP_SYN_MAX_RTX 8
#endif
/* Delayed ACK (RFC 1122 4.2.3.2: under 0.5 s; RFC 5681 4.2: every 2nd full segment). */
#ifndef SHOAL_TCP_DELACK_MS
#define SHOAL_TCP_DELACK_MS 40u
#endif
/* Keepalive defaults (RFC 1122 4.2.3.6: idle no less than two hours). */
#define SHOAL_TCP_KEEPIDLE_MS 7200000u
#define SHOAL_TCP_KEEPINTVL_MS 75000u
#define SHOAL_TCP_KEEPCNT 9u
/* RFC 5961 7: challenge ACKs per second, per instance. */
#ifndef SHOAL_TCP_CHALLENGE_ACK_LIMIT
#define SHOAL_TCP_CHALLENGE_ACK_LIMIT 10u
#endif

/* First ephemeral port range (RFC 6335 8.1.2: 49152-65535). */
#define SHOAL_EPHEMERAL_PORT_MIN 49152u
#define SHOAL_EPHEMERAL_PORT_MAX 65535u

#endif
