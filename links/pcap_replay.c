/* Replay of a capture into a port; see pcap_replay.h. */
/* libpcap's headers use the BSD types (u_int, u_char) that strict C11 hides. */
#define _DEFAULT_SOURCE
#include "pcap_replay.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "node.h"
#include "pcap_writer.h"
#include "sim.h"

#define ETH_HDR 14u
#define ETHERTYPE_IP4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define ETHERTYPE_IP6 0x86ddu
#define ETHERTYPE_VLAN 0x8100u
#define SLL_HDR 16u
/* The link types as they appear in files (LINKTYPE_*), which libpcap maps
 * to its DLT_* values; raw IP is 12 or 14 as DLT_RAW depending on the
 * platform, so the header's own name is used for it. */
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL 113
#define REPLAY_BUF (65535u + ETH_HDR)

enum replay_counter {
    C_READ,        /* records read from the file */
    C_INJECTED,    /* frames delivered to the port */
    C_INJECTED_BYTES,
    C_SKIPPED_OWN, /* sent by the port itself (the capture holds both directions) */
    C_FILTERED,    /* not matched by the filter expression */
    C_MALFORMED,   /* too short for their link header, or not IP where IP was due */
    C_TRUNCATED,   /* captured shorter than they were on the wire (injected as captured) */
    C_REWRITTEN,   /* frames whose MAC or IP addresses were rewritten */
    C_RX_NOMEM,    /* the receiving stack had no pbuf */
    C_COUNT
};

static const char *const counter_names[C_COUNT] = {
    "read", "injected", "injected_bytes", "skipped_own", "filtered", "malformed", "truncated", "rewritten", "rx_nomem",
};

struct pcap_replay {
    struct sim *sim;
    struct sim_port *port;
    struct link *capture;
    pcap_t *pcap;
    int linktype;
    struct pcap_replay_opts opts;
    struct bpf_program filter;
    bool have_filter;
    bool done;
    bool pending;              /* an event names this replay */
    uint64_t first_ts_ns;      /* capture time of the first frame */
    uint64_t last_at_ns;       /* virtual time of the previous frame */
    bool started;
    size_t len;                /* the frame waiting for its time */
    uint64_t counters[C_COUNT];
    uint8_t frame[REPLAY_BUF];
};

/* ---- rewriting (pure) ---- */

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) { return ((uint32_t)get16(p) << 16) | get16(p + 2); }
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 32-bit field changing
 * from old to new (two 16-bit words), in one's complement arithmetic. */
static uint16_t csum_adjust32(uint16_t hc, uint32_t old, uint32_t new_value)
{
    uint32_t sum = (uint16_t)~hc;
    sum += (uint16_t)~(old >> 16);
    sum += (uint16_t)~(old & 0xffffu);
    sum += new_value >> 16;
    sum += new_value & 0xffffu;
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

static bool map_ip(const struct pcap_replay_opts *o, uint32_t addr, uint32_t *out)
{
    for (size_t i = 0; i < o->ip_map_count && i < PCAP_REPLAY_MAX_IP_MAP; i++)
        if (o->ip_from[i] == addr) {
            *out = o->ip_to[i];
            return true;
        }
    return false;
}

/* An IPv4 address field at p, inside a header whose checksum is at hc and
 * (optionally) covered by an L4 pseudo-header checksum at l4c. */
static bool rewrite_ip4_field(uint8_t *p, uint8_t *hc, uint8_t *l4c, bool udp, const struct pcap_replay_opts *o)
{
    uint32_t old = get32(p), new_value;
    if (!map_ip(o, old, &new_value) || new_value == old) return false;
    put32(p, new_value);
    put16(hc, csum_adjust32(get16(hc), old, new_value));
    if (l4c != NULL) {
        uint16_t c = get16(l4c);
        /* RFC 768: a zero UDP checksum means none was sent; keep it so. */
        if (!(udp && c == 0)) {
            c = csum_adjust32(c, old, new_value);
            if (udp && c == 0) c = 0xffffu; /* a computed 0 is sent as all ones */
            put16(l4c, c);
        }
    }
    return true;
}

static bool rewrite_ip4(uint8_t *ip, size_t len, const struct pcap_replay_opts *o)
{
    if (len < 20 || (ip[0] >> 4) != 4) return false;
    size_t ihl = (size_t)(ip[0] & 0x0fu) * 4u;
    if (ihl < 20 || ihl > len) return false;
    uint8_t *l4c = NULL;
    bool udp = false;
    /* Only the first fragment (offset 0) carries the transport header, and
     * its checksum covers the pseudo-header (RFC 768, RFC 9293 3.1). */
    if ((get16(ip + 6) & 0x1fffu) == 0) {
        if (ip[9] == 6 && len >= ihl + 18) l4c = ip + ihl + 16;
        else if (ip[9] == 17 && len >= ihl + 8) {
            l4c = ip + ihl + 6;
            udp = true;
        }
    }
    bool changed = rewrite_ip4_field(ip + 12, ip + 10, l4c, udp, o);
    changed |= rewrite_ip4_field(ip + 16, ip + 10, l4c, udp, o);
    return changed;
}

static unsigned rewrite_arp(uint8_t *arp, size_t len, const uint8_t old_dst[6], const uint8_t port_mac[6],
                            const struct pcap_replay_opts *o)
{
    /* RFC 826 for Ethernet and IPv4 only: hlen 6, plen 4. */
    if (len < 28 || get16(arp) != 1 || get16(arp + 2) != ETHERTYPE_IP4 || arp[4] != 6 || arp[5] != 4) return 0;
    unsigned done = 0;
    uint32_t v;
    if (map_ip(o, get32(arp + 14), &v) && v != get32(arp + 14)) {
        put32(arp + 14, v);
        done |= REPLAY_REWROTE_IP;
    }
    if (map_ip(o, get32(arp + 24), &v) && v != get32(arp + 24)) {
        put32(arp + 24, v);
        done |= REPLAY_REWROTE_IP;
    }
    /* A reply names its target twice: in the Ethernet header and as tha. */
    if (o->rewrite_mac && (old_dst[0] & 1u) == 0 && memcmp(arp + 18, old_dst, 6) == 0 &&
        memcmp(arp + 18, port_mac, 6) != 0) {
        memcpy(arp + 18, port_mac, 6);
        done |= REPLAY_REWROTE_MAC;
    }
    return done;
}

unsigned replay_rewrite(uint8_t *frame, size_t len, const uint8_t port_mac[6], const struct pcap_replay_opts *o)
{
    if (len < ETH_HDR) return 0;
    unsigned done = 0;
    uint8_t old_dst[6];
    memcpy(old_dst, frame, 6);
    if (o->rewrite_mac && (frame[0] & 1u) == 0 && memcmp(frame, port_mac, 6) != 0) {
        memcpy(frame, port_mac, 6);
        done |= REPLAY_REWROTE_MAC;
    }
    size_t off = 12;
    uint16_t type = get16(frame + off);
    if (type == ETHERTYPE_VLAN && len >= off + 6) { /* one 802.1Q tag */
        off += 4;
        type = get16(frame + off);
    }
    off += 2;
    if (len < off) return done;
    if (type == ETHERTYPE_IP4 && o->ip_map_count && rewrite_ip4(frame + off, len - off, o)) done |= REPLAY_REWROTE_IP;
    if (type == ETHERTYPE_ARP) done |= rewrite_arp(frame + off, len - off, old_dst, port_mac, o);
    return done;
}

/* ---- reading ---- */

static bool supported_linktype(int lt)
{
    return lt == DLT_EN10MB || lt == DLT_RAW || lt == LT_IPV4 || lt == LT_IPV6 || lt == LT_LINUX_SLL;
}

/* Put an Ethernet header addressed to the port in front of an IP packet;
 * false when it is not IPv4 or IPv6. */
static bool wrap_ip(struct pcap_replay *r, const uint8_t *ip, size_t len)
{
    if (len < 1 || len > REPLAY_BUF - ETH_HDR) return false;
    unsigned version = ip[0] >> 4;
    if (version != 4 && version != 6) return false;
    memcpy(r->frame, r->port->mac, 6);
    memcpy(r->frame + 6, r->opts.wrap_src_mac, 6);
    put16(r->frame + 12, version == 4 ? ETHERTYPE_IP4 : ETHERTYPE_IP6);
    memcpy(r->frame + ETH_HDR, ip, len);
    r->len = ETH_HDR + len;
    return true;
}

/* The record as an Ethernet frame in r->frame; false if it cannot be one. */
static bool to_ethernet(struct pcap_replay *r, const uint8_t *data, size_t len)
{
    switch (r->linktype) {
    case DLT_EN10MB:
        /* Larger than any Ethernet frame (files may have 256 KiB snap
         * lengths): not something a port can receive. */
        if (len < ETH_HDR || len > REPLAY_BUF) return false;
        memcpy(r->frame, data, len);
        r->len = len;
        return true;
    case DLT_RAW:
    case LT_IPV4:
    case LT_IPV6:
        return wrap_ip(r, data, len);
    case LT_LINUX_SLL: {
        /* Linux cooked header: packet type, ARPHRD, address length and
         * address, then the protocol (an Ethertype for IP and ARP). */
        if (len < SLL_HDR) return false;
        uint16_t proto = get16(data + 14);
        if (proto == ETHERTYPE_IP4 || proto == ETHERTYPE_IP6) return wrap_ip(r, data + SLL_HDR, len - SLL_HDR);
        if (proto != ETHERTYPE_ARP || len - SLL_HDR > REPLAY_BUF - ETH_HDR) return false;
        static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        /* Packet type 0 was addressed to the capturing host: the port now. */
        memcpy(r->frame, get16(data) == 0 ? r->port->mac : broadcast, 6);
        memcpy(r->frame + 6, r->opts.wrap_src_mac, 6);
        put16(r->frame + 12, ETHERTYPE_ARP);
        memcpy(r->frame + ETH_HDR, data + SLL_HDR, len - SLL_HDR);
        r->len = ETH_HDR + len - SLL_HDR;
        return true;
    }
    default: return false;
    }
}

static void finish(struct pcap_replay *r)
{
    r->done = true;
    if (r->pcap != NULL) {
        pcap_close(r->pcap);
        r->pcap = NULL;
    }
}

static void inject_event(void *arg, void *payload, uint64_t aux);

/* Read records until one is to be injected; schedule it. */
static void load_next(struct pcap_replay *r)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    for (;;) {
        if (r->pcap == NULL) {
            finish(r);
            return;
        }
        int rc = pcap_next_ex(r->pcap, &hdr, &data);
        if (rc != 1) { /* end of file (-2) or a damaged file (-1): stop there */
            finish(r);
            return;
        }
        r->counters[C_READ]++;
        /* Nanosecond precision was asked for at open: tv_usec holds ns. */
        uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
        if (!r->started) {
            r->started = true;
            r->first_ts_ns = ts;
            r->last_at_ns = r->opts.start_ns;
        }
        if (r->have_filter && pcap_offline_filter(&r->filter, hdr, data) == 0) {
            r->counters[C_FILTERED]++;
            continue;
        }
        if (!to_ethernet(r, data, hdr->caplen)) {
            r->counters[C_MALFORMED]++;
            continue;
        }
        if (hdr->caplen < hdr->len) r->counters[C_TRUNCATED]++;
        if (r->opts.skip_own && memcmp(r->frame + 6, r->port->mac, 6) == 0) {
            r->counters[C_SKIPPED_OWN]++;
            continue;
        }
        if (replay_rewrite(r->frame, r->len, r->port->mac, &r->opts)) r->counters[C_REWRITTEN]++;
        /* Relative to the first record; a capture whose clock stepped back
         * (merged files) keeps its order rather than its times. */
        uint64_t rel = ts >= r->first_ts_ns ? ts - r->first_ts_ns : 0;
        uint64_t at = r->opts.start_ns + rel;
        if (at < r->opts.start_ns) at = UINT64_MAX; /* saturate */
        if (at < r->last_at_ns) at = r->last_at_ns;
        r->last_at_ns = at;
        r->pending = true;
        if (sim_schedule(r->sim, at, inject_event, r, NULL, 0) != 0) {
            r->pending = false;
            finish(r);
        }
        return;
    }
}

static void inject_event(void *arg, void *payload, uint64_t aux)
{
    (void)payload;
    (void)aux;
    struct pcap_replay *r = arg;
    r->pending = false;
    if (r->done) return; /* stopped */
    if (r->capture != NULL) pcap_writer_write(r->capture->pcap, r->sim->now_ns, r->frame, r->len);
    if (sim_port_deliver(r->port, r->frame, r->len) != 0) {
        r->counters[C_RX_NOMEM]++;
    } else {
        r->counters[C_INJECTED]++;
        r->counters[C_INJECTED_BYTES] += r->len;
    }
    load_next(r);
}

struct pcap_replay *pcap_replay_start(struct sim *sim, struct sim_port *port, struct link *capture, const char *path,
                                      const struct pcap_replay_opts *opts, char *errbuf, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    if (sim == NULL || port == NULL || path == NULL || opts == NULL || opts->ip_map_count > PCAP_REPLAY_MAX_IP_MAP) {
        snprintf(errbuf, errlen, "bad arguments");
        return NULL;
    }
    struct pcap_replay *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    r->sim = sim;
    r->port = port;
    r->capture = capture;
    r->opts = *opts;
    r->opts.filter = NULL;
    r->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (r->pcap == NULL) {
        snprintf(errbuf, errlen, "%s", perr);
        free(r);
        return NULL;
    }
    r->linktype = pcap_datalink(r->pcap);
    if (!supported_linktype(r->linktype)) {
        const char *name = pcap_datalink_val_to_name(r->linktype);
        snprintf(errbuf, errlen, "link type %d (%s) is not replayable: Ethernet, raw IP and Linux cooked are",
                 r->linktype, name ? name : "unknown");
        pcap_close(r->pcap);
        free(r);
        return NULL;
    }
    if (opts->filter != NULL && opts->filter[0] != '\0') {
        if (pcap_compile(r->pcap, &r->filter, opts->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(errbuf, errlen, "filter: %s", pcap_geterr(r->pcap));
            pcap_close(r->pcap);
            free(r);
            return NULL;
        }
        r->have_filter = true;
    }
    if (r->opts.start_ns < sim->now_ns) r->opts.start_ns = sim->now_ns;
    load_next(r);
    return r;
}

bool pcap_replay_done(const struct pcap_replay *r) { return r->done; }

int pcap_replay_stat(const struct pcap_replay *r, int index, const char **name, uint64_t *value)
{
    if (index < 0 || index >= C_COUNT) return 0;
    *name = counter_names[index];
    *value = r->counters[index];
    return 1;
}

void pcap_replay_stop(struct pcap_replay *r)
{
    if (r != NULL) finish(r);
}

void pcap_replay_free(struct pcap_replay *r)
{
    if (r == NULL) return;
    finish(r);
    if (r->have_filter) pcap_freecode(&r->filter);
    free(r);
}
