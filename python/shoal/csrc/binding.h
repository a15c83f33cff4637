/*
 * The flat C surface that python/shoal loads with CFFI (ABI mode, dlopen of
 * python/shoal/_libshoal.so). One Python call maps to one C call here.
 *
 * This header is also the CFFI cdef: it must stay plain declarations (no
 * macros, no #include besides the guard below, which shoal/_ffi.py strips).
 * IPv4 addresses cross it as host-order integers (10.0.0.1 == 0x0a000001).
 * Times are nanoseconds of virtual time. Functions returning int return 0 or
 * a positive value on success and a negative code on failure; shoal_strerror
 * describes the code (negative lwIP-style err_t values, or SHOAL_E* below).
 */
#ifndef SHOAL_BINDING_H
#define SHOAL_BINDING_H
#include <stdint.h>
#include <stddef.h>

typedef struct shoal_sim shoal_sim;
typedef struct shoal_node shoal_node;
typedef struct shoal_link shoal_link;
typedef struct shoal_udp shoal_udp;
typedef struct shoal_ping shoal_ping;
typedef struct shoal_tcp shoal_tcp;

/* Binding-level error codes (beyond the stack's err_t, which are -1..-16). */
enum shoal_binding_err {
    SHOAL_EBADARG = -100,   /* argument out of range */
    SHOAL_ENOTFOUND = -101, /* no such port / interface */
    SHOAL_ERUNT = -102,     /* frame shorter than an Ethernet header */
    SHOAL_ETOOBIG = -103,   /* frame longer than the link allows */
    SHOAL_ECLOSED = -104,   /* socket already closed */
    SHOAL_ENOMEM = -105,    /* host allocation failed */
    SHOAL_EPCAP = -106      /* pcap file could not be opened */
};
const char *shoal_strerror(int code);

/* ---- simulation ---- */
shoal_sim *shoal_sim_new(uint64_t seed);
void shoal_sim_free(shoal_sim *sim);
uint64_t shoal_sim_now(const shoal_sim *sim);
/* Run every event whose time is <= until_ns; afterwards now == until_ns. */
void shoal_sim_run_until(shoal_sim *sim, uint64_t until_ns);
/* Run all events of the next instant if it is <= limit_ns and return 1; if
 * none is due by limit_ns, set now = limit_ns and return 0. */
int shoal_sim_step(shoal_sim *sim, uint64_t limit_ns);
/* Time of the next pending event, or UINT64_MAX. */
uint64_t shoal_sim_next_event(const shoal_sim *sim);
uint64_t shoal_sim_events_run(const shoal_sim *sim);

/* ---- nodes: a stack instance, or a raw host (frames to and from Python) ---- */
/* forwarding: route between interfaces. Names must be unique (SHOAL_EBADARG). */
shoal_node *shoal_node_new(shoal_sim *sim, const char *name, int forwarding);
shoal_node *shoal_raw_host_new(shoal_sim *sim, const char *name);
/* A stack node with stack_config fields overridden by name (e.g. "pbuf_count",
 * "tcp_wnd", "tcp_rto_min_ms", "tcp_sack"): n keys with their values. NULL
 * with *err = SHOAL_EBADARG for an unknown key or a rejected configuration. */
shoal_node *shoal_node_new_config(shoal_sim *sim, const char *name, int forwarding, int n, const char **keys,
                                  const uint64_t *values, int *err);
/* Bytes of memory the node's stack instance took (0 for a raw host). */
uint64_t shoal_node_memory(const shoal_node *node);
/* Named counters: index 0.. until it returns 0. *name stays valid while the node lives. */
int shoal_node_stat(const shoal_node *node, int index, const char **name, uint64_t *value);
/* Static route. via == 0: on-link through ifindex; ifindex 0: found from via. */
int shoal_node_route_add(shoal_node *node, uint32_t prefix, int prefix_len, uint32_t via, int ifindex);
int shoal_node_route_del(shoal_node *node, uint32_t prefix, int prefix_len);

/* ---- links: Ethernet point-to-point ---- */
typedef struct {
    uint64_t rate_bps;       /* 0: infinitely fast (no serialisation delay) */
    uint64_t delay_ns;       /* propagation delay */
    uint64_t jitter_ns;      /* extra delay drawn uniformly from [0, jitter] per frame */
    double loss;             /* independent loss probability, 0..1 */
    uint32_t mtu;            /* largest frame payload (after the 14-byte header); 0 = 1500 */
    uint32_t queue_frames;   /* frames that may wait for the wire; 0 = unlimited */
    int allow_reorder;       /* if 0, jitter never reorders frames */
} shoal_link_params;

/* Join two nodes (a stack node gets a new Ethernet interface). pcap_path:
 * where to write this link's capture, or NULL. name: unique, used for the
 * link's random stream. */
shoal_link *shoal_link_new(shoal_sim *sim, shoal_node *a, shoal_node *b, const char *name,
                           const shoal_link_params *params, const char *pcap_path);
/* The interface index (>= 1) of node on this link: a netif index for a stack
 * node, a port number for a raw host. SHOAL_ENOTFOUND if not attached. */
int shoal_link_ifindex(const shoal_link *link, const shoal_node *node);
/* Named per-link counters (frames, bytes, drops by cause), as for nodes. */
int shoal_link_stat(const shoal_link *link, int index, const char **name, uint64_t *value);
/* Flush the pcap file to disk (also done at shoal_sim_free). */
void shoal_link_flush(shoal_link *link);

/* ---- link impairments and scheduled faults (Ethernet point-to-point) ----
 * Per direction, each frame on the wire may be lost to a Gilbert-Elliott
 * burst chain (p: good->bad, r: bad->good per frame; then lost with
 * burst_loss_good or burst_loss_bad, as the chain's new state says) or to
 * independent loss, held back reorder_delay_ns with probability reorder (and
 * then overtaken), duplicated (the copy arrives in the same instant, right
 * after the original), and corrupted: with probability corrupt one bit after
 * the 14-byte Ethernet header flips, and each such bit flips with
 * probability ber. The pcap keeps every frame as sent (before corruption,
 * once even if duplicated); the counters say what happened to it. */
enum shoal_link_field {
    SHOAL_LINK_RATE = 1,
    SHOAL_LINK_DELAY = 2,
    SHOAL_LINK_JITTER = 4,
    SHOAL_LINK_LOSS = 8,
    SHOAL_LINK_QUEUE = 16,
    SHOAL_LINK_ALLOW_REORDER = 32,
    SHOAL_LINK_BURST = 64,          /* the four burst_* values */
    SHOAL_LINK_DUPLICATE = 128,
    SHOAL_LINK_REORDER = 256,       /* reorder and reorder_delay_ns */
    SHOAL_LINK_CORRUPT = 512,
    SHOAL_LINK_BER = 1024
};
typedef struct {
    uint32_t fields;         /* SHOAL_LINK_* bits: the values below that a set changes */
    uint64_t rate_bps;
    uint64_t delay_ns;
    uint64_t jitter_ns;
    double loss;
    uint32_t queue_frames;
    int allow_reorder;
    double burst_p;
    double burst_r;
    double burst_loss_good;
    double burst_loss_bad;
    double duplicate;
    double reorder;
    uint64_t reorder_delay_ns;
    double corrupt;
    double ber;
} shoal_link_impair;
/* Change the fields of imp->fields, for frames that sender sends (NULL: both
 * directions), at virtual time at_ns (at once when at_ns <= now, else as an
 * event then). Frames already accepted keep what they got. A new burst
 * setting restarts the chain in the good state. SHOAL_EBADARG for values out
 * of range or unknown fields, SHOAL_ENOTFOUND if sender is not on the link. */
int shoal_link_set_impairments(shoal_link *link, const shoal_node *sender, const shoal_link_impair *imp,
                               uint64_t at_ns);
/* The values in force now for frames that sender sends (NULL: the first
 * end's); out->fields = every field. */
int shoal_link_get_impairments(const shoal_link *link, const shoal_node *sender, shoal_link_impair *out);
/* Cut (up = 0) or restore (up = 1) the link at at_ns (at once when <= now).
 * While down every frame is dropped (drop_down), also those queued or in
 * flight when it went down; stack nodes see link down / link up on their
 * interfaces (ARP caches flush; on link up they announce their addresses). */
int shoal_link_set_up(shoal_link *link, int up, uint64_t at_ns);
/* 1 while up, 0 while down. */
int shoal_link_is_up(const shoal_link *link);

/* ---- switches and hubs (links/eth_switch.h) ----
 * A switch is a node of its own (its name is taken among nodes): link nodes
 * to it with shoal_link_new; each port is then a point-to-point segment with
 * that link's impairments, faults, counters and pcap. hub: flood everything.
 * ageing_ns: forget an address not seen for that long (0: never);
 * table_size: most addresses (0: 1024). Its counters come from
 * shoal_node_stat (frames_in, forwarded, flooded, filtered, drop_*, learned,
 * moved, aged, flushed, table_full). */
shoal_node *shoal_switch_new(shoal_sim *sim, const char *name, int hub, uint64_t ageing_ns, uint32_t table_size);
/* MAC table entry `index` (0..): 1 with the MAC, the switch's ifindex of the
 * port it was learnt on (shoal_link_ifindex(link, sw) of that port's link)
 * and its age; 0 past the end; SHOAL_EBADARG if sw is not a switch. */
int shoal_switch_mac_entry(shoal_node *sw, int index, uint8_t *mac6, int *port_ifindex, uint64_t *age_ns);
/* Partition at at_ns: the port with ifindex i goes to group groups[i - 1]
 * (ports past n: group 0); frames never cross groups. n = 0 heals. */
int shoal_switch_partition(shoal_node *sw, const uint32_t *groups, int n, uint64_t at_ns);

/* ---- node faults (scheduled: at once when at_ns <= now) ----
 * Stopped, a node drops every frame in and out and runs no timers; started
 * again it resumes with its state. A reboot destroys the stack instance and
 * makes a fresh one with the same configuration and interfaces (indexes,
 * MACs) but no addresses, routes or sockets: the node's UDP sockets, pings
 * and TCP handles are closed (SHOAL_ECLOSED). Switches refuse (EBADARG). */
int shoal_node_set_running(shoal_node *node, int running, uint64_t at_ns);
int shoal_node_reboot(shoal_node *node, uint64_t at_ns);
/* 1 running, 0 stopped; *boots: reboots so far; frames dropped while stopped. */
int shoal_node_state(const shoal_node *node, uint32_t *boots, uint64_t *rx_dropped, uint64_t *tx_dropped);

/* ---- interfaces ---- */
int shoal_iface_set_ip4(shoal_node *node, int ifindex, uint32_t addr, int prefix_len, uint32_t gateway);
int shoal_iface_ip4(const shoal_node *node, int ifindex, uint32_t *addr, int *prefix_len);
int shoal_iface_mac(const shoal_node *node, int ifindex, uint8_t *mac6);

/* Join (join=1) or leave (join=0) an IPv4 multicast group on an interface
 * (IGMPv2 reports and leaves go out as RFC 2236 says). */
int shoal_iface_igmp(shoal_node *node, int ifindex, uint32_t group, int join);

/* ---- raw hosts ---- */
/* Send a frame out of port ifindex at the current virtual time. */
int shoal_raw_send(shoal_node *host, int ifindex, const uint8_t *frame, size_t len);
/* Oldest received frame not yet taken: copies up to cap bytes, sets its
 * arrival time and port; returns its full length, or -1 when none is left. */
int64_t shoal_raw_recv(shoal_node *host, uint8_t *buf, size_t cap, uint64_t *time_ns, int *ifindex);

/* ---- UDP sockets on stack nodes ---- */
/* Bind to addr (0 = any) and port (0 = ephemeral). NULL on failure, with the
 * reason in *err. Received datagrams wait in a bounded queue (drops counted). */
shoal_udp *shoal_udp_open(shoal_node *node, uint32_t addr, uint16_t port, int *err);
uint16_t shoal_udp_port(const shoal_udp *sock);
int shoal_udp_connect(shoal_udp *sock, uint32_t addr, uint16_t port);
int shoal_udp_set_broadcast(shoal_udp *sock, int on);
int shoal_udp_sendto(shoal_udp *sock, const uint8_t *data, size_t len, uint32_t addr, uint16_t port);
int shoal_udp_send(shoal_udp *sock, const uint8_t *data, size_t len);
/* Oldest datagram: copies up to cap bytes; returns its length, -1 when none. */
int64_t shoal_udp_recvfrom(shoal_udp *sock, uint8_t *buf, size_t cap, uint32_t *addr, uint16_t *port);
/* Multicast TTL (default 1) and outgoing interface (0: the first up). */
int shoal_udp_set_multicast(shoal_udp *sock, int ttl, int ifindex);
/* UDP-Lite (RFC 3828): on/off, checksum coverage sent (0: whole datagram)
 * and least coverage accepted (0: no minimum). */
int shoal_udp_set_lite(shoal_udp *sock, int on, int tx_coverage, int rx_min_coverage);
/* Datagrams dropped because the receive queue was full. */
uint64_t shoal_udp_queue_drops(const shoal_udp *sock);
void shoal_udp_close(shoal_udp *sock);

/* ---- ping (ICMP echo) from a stack node ---- */
shoal_ping *shoal_ping_start(shoal_node *node, uint32_t dst, int count, uint64_t interval_ns, int payload_len,
                             uint64_t timeout_ns, int *err);
/* Result of echo number seq (0-based): 1 replied (rtt in *rtt_ns), 0 pending, 2 lost. */
int shoal_ping_result(const shoal_ping *ping, int seq, uint64_t *rtt_ns);
int shoal_ping_done(const shoal_ping *ping);
/* Echo requests sent so far. */
int shoal_ping_sent(const shoal_ping *ping);
void shoal_ping_free(shoal_ping *ping);

/* ---- TCP on stack nodes ---- */
/* Received data waits in the binding until shoal_tcp_recv takes it; only
 * then is the window reopened (tcp_recved), so a script that does not read
 * sees the window close, as an application would. */
shoal_tcp *shoal_tcp_listen(shoal_node *node, uint32_t addr, uint16_t port, int backlog, int *err);
/* The next established connection not yet accepted, or NULL. */
shoal_tcp *shoal_tcp_accept(shoal_tcp *listener);
/* Start an active open (local_port 0: ephemeral). */
shoal_tcp *shoal_tcp_connect(shoal_node *node, uint32_t dst, uint16_t port, uint16_t local_port, int *err);
/* Queue up to len bytes; returns bytes taken (0 when the send buffer is
 * full), or a negative code (closed, reset). Data is pushed out at once. */
int64_t shoal_tcp_send(shoal_tcp *conn, const uint8_t *data, size_t len);
/* Take up to cap received bytes; returns the count, 0 when none is waiting,
 * or -1 when none is waiting and the peer has closed its side (EOF). */
int64_t shoal_tcp_recv(shoal_tcp *conn, uint8_t *buf, size_t cap);
/* Bytes received and waiting for shoal_tcp_recv. */
uint64_t shoal_tcp_pending(const shoal_tcp *conn);
int shoal_tcp_close(shoal_tcp *conn);
int shoal_tcp_shutdown(shoal_tcp *conn, int rx, int tx);
int shoal_tcp_abort(shoal_tcp *conn);
int shoal_tcp_set_nodelay(shoal_tcp *conn, int on);
int shoal_tcp_set_keepalive(shoal_tcp *conn, int on, uint64_t idle_ns, uint64_t intvl_ns, int count);
/* State name ("ESTABLISHED", ...; "CLOSED" once the stack freed the PCB). */
const char *shoal_tcp_state(const shoal_tcp *conn);
/* The last error the connection reported (0, or a negative err_t such as
 * ERR_RST / ERR_ABRT / ERR_TIMEOUT). */
int shoal_tcp_error(const shoal_tcp *conn);
typedef struct {
    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port;
    uint32_t snd_una, snd_nxt, rcv_nxt, snd_wnd, rcv_wnd, cwnd, ssthresh, mss;
    uint64_t srtt_ns, rttvar_ns, rto_ns;
    uint32_t snd_wscale, rcv_wscale, sack_ok, ts_ok, in_recovery;
    uint32_t retransmits, timeouts, fast_retransmits, dup_acks_rcvd, ooseq_segs;
    uint64_t bytes_acked, bytes_received, unsent_bytes, unacked_bytes;
} shoal_tcp_info;
/* 0 and *out filled, or SHOAL_ECLOSED once the PCB is gone. */
int shoal_tcp_info_get(const shoal_tcp *conn, shoal_tcp_info *out);
/* Free the handle (closing the connection first if still open). */
void shoal_tcp_free(shoal_tcp *conn);

/* ---- DNS resolver (stack/dns; binding_dns.c) ----
 * A node's resolver state lives in a block the caller allocates (zeroed,
 * 8-byte aligned, shoal_dns_block_size() bytes) and keeps alive as long as
 * the node; every call names it. Addresses come out as 17 bytes each: the
 * family (4 or 6) then 16 address bytes (an IPv4 address in the first 4).
 * Status values: 0 OK, 1 NXDOMAIN, 2 NODATA, 3 SERVFAIL, 4 TIMEOUT, 5 CANCELLED. */
size_t shoal_dns_block_size(void);
/* Make block the node's resolver (dns_init): no servers, default tunables. */
int shoal_dns_attach(shoal_node *node, void *block);
/* Server idx 0..3; addr 0 clears it. */
int shoal_dns_set_server(shoal_node *node, void *block, int idx, uint32_t addr);
int shoal_dns_get_server(shoal_node *node, void *block, int idx, uint32_t *addr);
/* Tunables; a negative value keeps the current one (0 timeout/rounds: EBADARG). */
int shoal_dns_configure(shoal_node *node, void *block, int64_t timeout_ms, int rounds, int64_t ttl_min_s,
                        int64_t ttl_max_s, int64_t neg_ttl_max_s);
/* Start a lookup (qtype 1 = A). Returns its slot (>= 0) with *done = 1 when
 * answered at once (dotted quad, cache), or a negative code (ERR_ARG bad
 * name, ERR_RTE no server, ERR_MEM table full, SHOAL_ENOMEM no free slot).
 * timeout_ns > 0: report TIMEOUT then if still unanswered. */
int shoal_dns_resolve(shoal_node *node, void *block, const char *name, int qtype, uint64_t timeout_ns, int *done);
/* 0 while pending; 1 when done, with the outcome filled (at most cap addresses). */
int shoal_dns_result(void *block, int slot, int *status, uint32_t *ttl_s, int *count, uint8_t *addrs, int cap);
/* Free a slot; a lookup still pending is cancelled. */
void shoal_dns_release(shoal_node *node, void *block, int slot);
/* The index-th live cache entry: 1 filled, 0 past the end. */
int shoal_dns_cache_entry(shoal_node *node, void *block, int index, char *name, size_t name_cap, int *qtype,
                          int *status, uint64_t *expires_ns, int *count, uint8_t *addrs, int cap);
int shoal_dns_cache_flush(shoal_node *node, void *block);
/* The resolver's own counters by name, index 0.. until it returns 0. */
int shoal_dns_stat(void *block, int index, const char **name, uint64_t *value);
const char *shoal_dns_status_str(int status);

/* ---- DHCP client, AutoIP, DHCP server (binding_dhcp.c) ----
 * Handles hold the stack's caller-owned state: stop them while the
 * simulation is open; free them (memory only) after shoal_sim_free. */
typedef struct shoal_dhcp shoal_dhcp;
typedef struct shoal_autoip shoal_autoip;
typedef struct shoal_dhcp_server shoal_dhcp_server;
typedef struct {
    int state;                 /* enum dhcp_state of shoal/dhcp.h */
    const char *state_name;    /* "SELECTING", "BOUND", ... */
    uint32_t addr;             /* leased (or offered, before BOUND) address */
    uint32_t netmask, router, server;
    uint32_t dns[2];
    int dns_count;
    uint32_t lease_s, t1_s, t2_s;
    uint64_t lease_left_ns;    /* UINT64_MAX: infinite lease */
    uint32_t xid;
    int tries;                 /* transmissions of the current message */
    int discovers;             /* DISCOVERs without an OFFER */
    uint32_t leases, naks, declines;
    int autoip_state;          /* the fallback's enum autoip_state */
    const char *autoip_state_name;
    uint32_t autoip_addr;
} shoal_dhcp_info;
/* Start a client on an interface (replacing one that runs there).
 * hostname may be NULL; autoip_after > 0: AutoIP fallback after that many
 * unanswered DISCOVERs. */
shoal_dhcp *shoal_dhcp_start(shoal_node *node, int ifindex, const char *hostname, int client_id, int check_address,
                             int desync, int autoip_after, int *err);
int shoal_dhcp_stop(shoal_dhcp *d);
int shoal_dhcp_release(shoal_dhcp *d);
int shoal_dhcp_renew(shoal_dhcp *d);
int shoal_dhcp_info_get(const shoal_dhcp *d, shoal_dhcp_info *out);
void shoal_dhcp_free(shoal_dhcp *d);
typedef struct {
    int state;                 /* enum autoip_state */
    const char *state_name;    /* "OFF", "CHECKING", "BOUND" */
    uint32_t addr;
    uint32_t tried;            /* addresses chosen */
    uint32_t conflicts;
} shoal_autoip_info;
shoal_autoip *shoal_autoip_start(shoal_node *node, int ifindex, int *err);
int shoal_autoip_stop(shoal_autoip *a);
int shoal_autoip_info_get(const shoal_autoip *a, shoal_autoip_info *out);
void shoal_autoip_free(shoal_autoip *a);
typedef struct {
    uint8_t mac[6];
    uint32_t addr;
    int state;                 /* enum dhcp_lease_state */
    const char *state_name;    /* "FREE", "OFFERED", "BOUND", "DECLINED" */
    uint64_t expires_ns;
} shoal_dhcp_lease;
/* A server on an interface that has an address; pool first..last inclusive. */
shoal_dhcp_server *shoal_dhcp_server_start(shoal_node *node, int ifindex, uint32_t first, uint32_t last,
                                           uint32_t lease_s, uint32_t router, const uint32_t *dns, int dns_count,
                                           int *err);
int shoal_dhcp_server_stop(shoal_dhcp_server *srv);
/* Lease table entry `index` (entries in use, 0..): 1 and *out, or 0 past the end. */
int shoal_dhcp_server_lease(const shoal_dhcp_server *srv, int index, shoal_dhcp_lease *out);
/* offers, acks, naks, declines, releases, informs */
int shoal_dhcp_server_counts(const shoal_dhcp_server *srv, uint32_t *out6);
void shoal_dhcp_server_free(shoal_dhcp_server *srv);

/* ---- pcap replay (binding_replay.c, links/pcap_replay.h) ----
 * The frames of a capture (Ethernet, raw IP, Linux cooked; pcap or pcapng)
 * reach a node's port at their recorded times relative to the first one,
 * which is due at start_ns (now if earlier), and go into the capture of
 * `link` (the link that port is on; NULL: none). Frames without an Ethernet
 * header get one addressed to the port, from wrap_src_mac. Options:
 * rewrite_mac: unicast destination MAC (and an ARP reply's target MAC) ->
 * the port's; skip_own: skip frames whose source MAC is the port's (its own,
 * when a capture holds both directions); ip_from[i] -> ip_to[i]: IPv4
 * addresses (source and destination, ARP too), with the IPv4, UDP and TCP
 * checksums updated incrementally (RFC 1624: a bad one stays bad). filter: a
 * libpcap expression on the original records, or NULL. A replay is freed
 * with shoal_replay_free after shoal_sim_free (pending events name it). */
typedef struct shoal_replay shoal_replay;
typedef struct {
    uint64_t start_ns;
    int rewrite_mac;
    int skip_own;
    uint8_t wrap_src_mac[6];
    int ip_map_count;          /* at most 16 */
    uint32_t ip_from[16];
    uint32_t ip_to[16];
} shoal_replay_opts;
/* NULL on failure, with the reason in errbuf. */
shoal_replay *shoal_replay_start(shoal_sim *sim, shoal_node *node, int ifindex, shoal_link *link, const char *path,
                                 const shoal_replay_opts *opts, const char *filter, char *errbuf, size_t errcap);
/* 1 once every frame was injected (or it was stopped). */
int shoal_replay_done(const shoal_replay *r);
/* Counters: read, injected, injected_bytes, skipped_own, filtered, malformed,
 * truncated, rewritten, rx_nomem; index 0.. until it returns 0. */
int shoal_replay_stat(const shoal_replay *r, int index, const char **name, uint64_t *value);
void shoal_replay_stop(shoal_replay *r);
void shoal_replay_free(shoal_replay *r);
/* The replay's rewriting applied to one Ethernet frame in place (for
 * checks and tools); returns 1 MAC rewritten | 2 IP rewritten. */
int shoal_replay_rewrite(const shoal_replay_opts *opts, const uint8_t *port_mac, uint8_t *frame, size_t len);

/* ---- TAP bridge and realtime mode (binding_replay.c, links/tap.h) ----
 * A link between a node's port and the Linux TAP device ifname (attached
 * if it exists, e.g. made by `ip tuntap add`; else created, and gone when
 * the simulation is freed), looked up in the network namespace file
 * netns_path (/run/netns/NAME) or, if NULL, the caller's. Needs root (or
 * CAP_NET_ADMIN). From then on the simulation runs in realtime: run and
 * step calls keep the virtual clock in step with the wall clock and carry
 * frames between the TAP and the port. NULL on failure, reason in errbuf.
 * The link's counters: frames, bytes, to_tap, from_tap (+ _bytes),
 * delivered, drop, drop_write, drop_mtu, drop_runt, rx_nomem. */
shoal_link *shoal_tap_new(shoal_sim *sim, shoal_node *node, const char *ifname, const char *netns_path,
                          const char *name, uint32_t mtu, const char *pcap_path, char *errbuf, size_t errcap);
/* 1 once a TAP made the simulation realtime. */
int shoal_sim_is_realtime(const shoal_sim *sim);

/* ---- IPv6 (binding_ip6.c): addresses, SLAAC, ND views, router mode, MLD,
 * routes, DHCPv6, ping ----
 * IPv6 addresses cross as 16 bytes in network order (addr16), with a zone
 * (the netif index of a link-local address; 0 = none) where one matters.
 * Times are virtual nanoseconds; a lifetime "left" of UINT64_MAX is infinite. */
/* Add an address (prefix_len 0..128; 128: no on-link prefix). dad = 0: valid
 * at once. Turns IPv6 on for the interface (link-local first) if it was off. */
int shoal_iface_add_ip6(shoal_node *node, int ifindex, const uint8_t *addr16, int prefix_len, int dad);
int shoal_iface_del_ip6(shoal_node *node, int ifindex, const uint8_t *addr16);
/* IPv6 on (nd6_netif_enable): iid_mode 0 stable (RFC 7217), 1 EUI-64, 2
 * random; autoconf 1: Router Solicitations and addresses from RA prefixes. */
int shoal_iface_enable_ip6(shoal_node *node, int ifindex, int iid_mode, int autoconf);
typedef struct {
    uint8_t addr[16];
    int zone;                    /* netif index of a link-local, else 0 */
    int prefix_len;
    int state;                   /* 1 tentative, 2 preferred, 3 deprecated, 4 duplicated */
    int flags;                   /* 1 manual, 2 autoconf, 4 no DAD, 8 temporary */
    uint64_t preferred_left_ns;  /* UINT64_MAX: infinite */
    uint64_t valid_left_ns;
} shoal_ip6_addr_info;
/* The index-th address slot in use (0..): 1 and *out, 0 past the end. */
int shoal_iface_ip6_addr(const shoal_node *node, int ifindex, int index, shoal_ip6_addr_info *out);
typedef struct {
    int enabled;                 /* IPv6 on */
    int autoconf;
    int iid_mode;
    int hop_limit;               /* CurHopLimit (from RAs; default 64) */
    int mtu;                     /* IPv6 link MTU */
    uint32_t base_reachable_ms;
    uint32_t reachable_ms;       /* ReachableTime */
    uint32_t retrans_ms;         /* RetransTimer */
    int advertising;             /* router mode on */
} shoal_iface_ip6_info;
int shoal_iface_ip6_info_get(const shoal_node *node, int ifindex, shoal_iface_ip6_info *out);
/* Router mode (RFC 4861 6.2). Start or update advertising with these
 * values; with has_prefix, also advertise the prefix (prefix_len 1..128;
 * lifetimes 0xffffffff = infinite). The node must forward (ERR_VAL). */
typedef struct {
    uint32_t min_interval_ms;
    uint32_t max_interval_ms;
    uint32_t router_lifetime_s;
    int cur_hop_limit;           /* 0: unspecified */
    int managed;                 /* M flag */
    int other_config;            /* O flag */
    uint32_t reachable_ms;       /* 0: unspecified */
    uint32_t retrans_ms;         /* 0: unspecified */
    uint32_t mtu;                /* 0: no MTU option */
    uint8_t rdnss[16];           /* all zero: no RDNSS option */
} shoal_ra_config;
int shoal_iface_advertise(shoal_node *node, int ifindex, const shoal_ra_config *cfg, int has_prefix,
                          const uint8_t *prefix16, int prefix_len, int on_link, int autonomous, uint32_t valid_s,
                          uint32_t preferred_s);
/* Stop advertising: a final RA with router lifetime 0. */
int shoal_iface_advertise_stop(shoal_node *node, int ifindex);
/* Join (join=1) or leave (join=0) an IPv6 multicast group (MLDv1, RFC 2710). */
int shoal_iface_mld6(shoal_node *node, int ifindex, const uint8_t *group16, int join);
/* Static IPv6 route. via16 NULL (or ::): on-link through ifindex; a
 * link-local via needs ifindex. ifindex 0: found from via. */
int shoal_node_route6_add(shoal_node *node, const uint8_t *prefix16, int prefix_len, const uint8_t *via16,
                          int ifindex);
int shoal_node_route6_del(shoal_node *node, const uint8_t *prefix16, int prefix_len);
/* Read-only ND views, entry index 0..: 1 and *out, 0 past the end. */
typedef struct {
    uint8_t ip[16];
    int zone;
    uint8_t mac[6];
    int ifindex;
    int state;                   /* 1 INCOMPLETE, 2 REACHABLE, 3 STALE, 4 DELAY, 5 PROBE */
    int is_router;
} shoal_nd6_neighbor;
int shoal_node_neighbor6(const shoal_node *node, int index, shoal_nd6_neighbor *out);
typedef struct {
    uint8_t ip[16];
    int zone;
    int ifindex;
    int prefix_len;              /* prefixes only */
    uint64_t left_ns;            /* lifetime left; UINT64_MAX: infinite */
} shoal_nd6_entry;
int shoal_node_router6(const shoal_node *node, int index, shoal_nd6_entry *out);
int shoal_node_prefix6(const shoal_node *node, int index, shoal_nd6_entry *out);
/* Stateless DHCPv6 client (RFC 8415 18.2.6) on an interface; handles as
 * for the DHCP client: stop while the simulation is open, free after. */
typedef struct shoal_dhcp6 shoal_dhcp6;
typedef struct shoal_dhcp6_server shoal_dhcp6_server;
shoal_dhcp6 *shoal_dhcp6_start(shoal_node *node, int ifindex, int *err);
int shoal_dhcp6_stop(shoal_dhcp6 *d);
typedef struct {
    int state;                   /* 0 off, 1 requesting, 2 done */
    int dns_count;
    uint8_t dns[3][16];
    char domain[64];
    uint32_t tries;
} shoal_dhcp6_info;
int shoal_dhcp6_info_get(const shoal_dhcp6 *d, shoal_dhcp6_info *out);
void shoal_dhcp6_free(shoal_dhcp6 *d);
/* A stateless DHCPv6 server on an interface: dns_count (0..3) addresses
 * of 16 bytes each in dns16; domain may be NULL. */
shoal_dhcp6_server *shoal_dhcp6_server_start(shoal_node *node, int ifindex, const uint8_t *dns16, int dns_count,
                                             const char *domain, int *err);
int shoal_dhcp6_server_stop(shoal_dhcp6_server *srv);
/* Replies sent so far. */
uint32_t shoal_dhcp6_server_replies(const shoal_dhcp6_server *srv);
void shoal_dhcp6_server_free(shoal_dhcp6_server *srv);
/* ICMPv6 echo (RFC 4443 4.1); results through shoal_ping_result & co. A
 * scoped destination needs zone (its netif index). */
shoal_ping *shoal_ping6_start(shoal_node *node, const uint8_t *dst16, int zone, int count, uint64_t interval_ns,
                              int payload_len, uint64_t timeout_ns, int *err);
/* ---- end of IPv6 ---- */

/* ---- IPv6 sockets (binding_sockets.c, binding_tcp.c, binding_dns.c) ----
 * Addresses of either family: family 4 or 6 (46: both, for a wildcard
 * bind: a dual-stack socket), 16 bytes in network order (IPv4: the first 4;
 * an IPv4-mapped ::ffff:a.b.c.d is IPv4) and zone (a scoped address's netif
 * index; 0 with a single interface means that one, else SHOAL_EBADARG).
 * The uint32 calls above stay IPv4-only. */
shoal_udp *shoal_udp_open_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port,
                             int *err);
int shoal_udp_connect_ip(shoal_udp *sock, int family, const uint8_t *addr16, int zone, uint16_t port);
int shoal_udp_sendto_ip(shoal_udp *sock, const uint8_t *data, size_t len, int family, const uint8_t *addr16,
                        int zone, uint16_t port);
/* As shoal_udp_recvfrom, the sender in family / addr16 (16 bytes) / zone. */
int64_t shoal_udp_recvfrom_ip(shoal_udp *sock, uint8_t *buf, size_t cap, int *family, uint8_t *addr16, int *zone,
                              uint16_t *port);
/* IPv6 hop limit of unicast datagrams (0: the interface's CurHopLimit) and
 * of multicast ones (RFC 3493 5.1, 5.2). */
int shoal_udp_set_hops6(shoal_udp *sock, int hops, int mcast_hops);
shoal_tcp *shoal_tcp_listen_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port,
                               int backlog, int *err);
shoal_tcp *shoal_tcp_connect_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port,
                                uint16_t local_port, int *err);
/* One end of a connection (remote=0: ours): 0, or SHOAL_ECLOSED. */
int shoal_tcp_endpoint_ip(const shoal_tcp *conn, int remote, int *family, uint8_t *addr16, int *zone,
                          uint16_t *port);
/* Resolver servers of either family (dns_set_server_ip); family 0 clears. */
int shoal_dns_set_server_ip(shoal_node *node, void *block, int idx, int family, const uint8_t *addr16, int zone);
int shoal_dns_get_server_ip(shoal_node *node, void *block, int idx, int *family, uint8_t *addr16, int *zone);
/* ---- end of IPv6 sockets ---- */

#endif
