/*
 * DNS stub resolver (RFC 1035; RFC 3596 AAAA records): asynchronous lookups
 * with retries across up to DNS_MAX_SERVERS servers, a bounded cache that
 * honours TTLs, and a message parser hardened against the NAME:WRECK and
 * AMNESIA:33 bug classes.
 *
 * The resolver's state is caller-owned (lwIP's dhcp_set_struct style):
 * dns_init(s, &storage) attaches it to an instance, which then uses it for
 * every lookup. Each query gets a fresh UDP PCB on a random ephemeral port
 * and a random 16-bit ID (RFC 5452 9.2), both from stack_random32().
 *
 * Parsing is smoltcp style: dns_parse() checks every length once and fills a
 * dns_msg_repr of offsets into the message; the resolver logic works only on
 * that validated view.
 *
 * Servers are IPv4 or IPv6 addresses (queries go over the server's
 * family); results carry a family per address; IPv6 literals ("::1")
 * answer AAAA lookups at once.
 */
#ifndef SHOAL_DNS_H
#define SHOAL_DNS_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/ip_addr.h"
#include "shoal/timer.h"

struct stack;
struct udp_pcb;

#define DNS_SERVER_PORT 53u
#define DNS_HDR_LEN 12u
#define DNS_LABEL_MAX 63u      /* RFC 1035 2.3.4: octets in a label */
#define DNS_NAME_WIRE_MAX 255u /* RFC 1035 2.3.4: octets in a name, length bytes included */
#define DNS_MSG_MAX 512u       /* RFC 1035 2.3.4 / 4.2.1: UDP messages (we send no EDNS0) */
#define DNS_MAX_SERVERS 4u

/* Lookups in flight at once (each holds a UDP PCB). */
#ifndef DNS_TABLE_SIZE
#define DNS_TABLE_SIZE 4u
#endif
/* Answers remembered (positive and negative). */
#ifndef DNS_CACHE_SIZE
#define DNS_CACHE_SIZE 8u
#endif
/* Addresses kept per answer. */
#ifndef DNS_MAX_ADDRS
#define DNS_MAX_ADDRS 4u
#endif
/* Resource records of the answer and authority sections examined per
 * message: bounded work, whatever the counts claim. */
#define DNS_PARSE_MAX_RR 32u
/* CNAME links followed inside one response, and queries restarted for a
 * canonical name the response did not resolve (RFC 1034 5.3.3 step 3). */
#define DNS_MAX_CNAME_HOPS 8u
#define DNS_MAX_RESTARTS 4u

/* Defaults of the tunables in struct dns_resolver. */
#define DNS_DEFAULT_TIMEOUT_MS 1000u  /* first wait; doubles each round */
#define DNS_DEFAULT_ROUNDS 4u         /* times each server is asked */
#define DNS_DEFAULT_TTL_MIN_S 0u
#define DNS_DEFAULT_TTL_MAX_S 86400u
#define DNS_DEFAULT_NEG_TTL_MAX_S 10800u /* RFC 2308 5: 1-3 hours suggested */
#define DNS_MAX_WAIT_MS 60000u          /* the backoff stops growing here */

enum dns_rr_type {
    DNS_RR_A = 1,
    DNS_RR_NS = 2,
    DNS_RR_CNAME = 5,
    DNS_RR_SOA = 6,
    DNS_RR_AAAA = 28
};
#define DNS_CLASS_IN 1u

/* Header flag bits (RFC 1035 4.1.1). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define DNS_RCODE(flags) ((flags) & 0xfu)
enum dns_rcode { DNS_RCODE_NOERROR = 0, DNS_RCODE_FORMERR = 1, DNS_RCODE_SERVFAIL = 2, DNS_RCODE_NXDOMAIN = 3 };

/* ---- wire: names and messages ---- */

/* One resource record, as offsets into the message it came from. Every
 * offset and length has been checked against the message by dns_parse(). */
struct dns_rr_repr {
    uint16_t name_off;   /* owner name (maybe compressed) */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;        /* RFC 2181 8: values with the top bit set read as 0 */
    uint16_t rdata_off;
    uint16_t rdlen;
    uint8_t section;     /* 1 = answer, 2 = authority */
};

struct dns_msg_repr {
    uint16_t id;
    uint16_t flags;
    uint16_t qdcount, ancount, nscount, arcount;
    uint16_t qname_off;  /* the first question, when qdcount >= 1 */
    uint16_t qtype, qclass;
    uint8_t rr_count;    /* records kept in rr[] (answer then authority) */
    struct dns_rr_repr rr[DNS_PARSE_MAX_RR];
};

/* Validate a whole response and describe it. ERR_BUF for anything
 * structurally wrong: shorter than its header or longer than 65535 octets, a question or record cut
 * short, a count larger than the records present, RDLENGTH running past the
 * end, an A record whose RDLENGTH is not 4 (AAAA: 16), a CNAME/NS/SOA whose
 * names do not fill RDLENGTH exactly, and every bad name (see
 * dns_name_read). ERR_VAL: more than one question. The additional section
 * is never read. Work is bounded by DNS_PARSE_MAX_RR whatever the counts. */
err_t dns_parse(const uint8_t *msg, size_t len, struct dns_msg_repr *out);

/* Read the name at `off` of a message, following compression pointers.
 * Refused (ERR_BUF): a label or pointer running past the end, a label longer
 * than 63 octets, a name longer than 255 octets, the reserved label types
 * 0x40/0x80, and any pointer that does not point strictly before the start of
 * the label run it was found in (which rules out loops and forward pointers)
 * or that points into the header. *next: the offset just after the name
 * where it sits (after its first pointer, if any). out (DNS_NAME_WIRE_MAX
 * bytes, may be NULL): the name uncompressed in wire form, ASCII lowercased;
 * *out_len its length including the final zero octet. */
err_t dns_name_read(const uint8_t *msg, size_t len, size_t off, size_t *next, uint8_t *out, size_t *out_len);

/* "www.example.com" (a final dot allowed) -> wire form. ERR_ARG for an empty
 * label, a label over 63 octets, a name over 255 octets in wire form, a byte
 * outside 0x21..0x7e, or a ':' (an IPv6 literal is not a name). */
err_t dns_name_from_text(const char *text, uint8_t *out, size_t *out_len);
/* Wire form -> text (RFC 1035 5.1 escapes: \. and \DDD); always terminated
 * when cap > 0. Returns the text's length (cut to cap - 1). */
size_t dns_name_to_text(const uint8_t *wire, size_t wire_len, char *out, size_t cap);
/* Equal names, ASCII case-insensitively (RFC 4343). */
bool dns_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* A standard query (RD set, one question, class IN) into p; returns its
 * length, 0 when cap is too small. */
size_t dns_query_emit(uint16_t id, const uint8_t *qname, size_t qname_len, uint16_t qtype, uint8_t *p, size_t cap);

/* ---- the resolver ---- */

struct dns_addr {
    uint8_t family;      /* 4 (A) or 6 (AAAA) */
    uint8_t bytes[16];   /* network order; the first 4 for IPv4 */
};

enum dns_status {
    DNS_OK = 0,          /* addresses found */
    DNS_NXDOMAIN,        /* RFC 1035 4.1.1 RCODE 3: the name does not exist */
    DNS_NODATA,          /* the name exists, without records of the type asked */
    DNS_SERVFAIL,        /* a server answered with an error (or a truncated or broken
                          * answer) and no other gave a usable one */
    DNS_TIMEOUT,         /* no server answered at all, after every retry */
    DNS_CANCELLED        /* never from the stack (dns_cancel calls nothing): for
                          * callers that record a lookup they dropped */
};
const char *dns_status_str(enum dns_status st);

struct dns_result {
    enum dns_status status;
    uint8_t count;       /* addresses in addrs */
    uint32_t ttl_s;      /* seconds the answer stays in the cache (0: not cached) */
    struct dns_addr addrs[DNS_MAX_ADDRS];
};

/* Called once per lookup that returned ERR_INPROGRESS. */
typedef void (*dns_found_fn)(void *arg, const struct dns_result *res);

enum dns_query_state { DNS_Q_FREE = 0, DNS_Q_PENDING };

struct dns_query {
    struct dns_resolver *r;
    struct udp_pcb *pcb;          /* fresh per query, random ephemeral port */
    struct stack_timer timer;     /* retransmission */
    dns_found_fn fn;
    void *arg;
    uint8_t state;                /* enum dns_query_state */
    uint16_t id;
    uint16_t qtype;
    uint16_t attempt;             /* transmissions so far - 1 */
    uint8_t sent_mask;            /* servers this query went to (replies accepted from them) */
    uint8_t failed_mask;          /* servers that answered with an error: skipped */
    uint8_t last_server_mask;     /* the server whose response is being handled */
    uint8_t restarts;             /* RFC 1034 5.3.3 restarts for a canonical name */
    uint8_t fail_status;          /* what to report if the retries run out */
    uint32_t chain_ttl_s;         /* least TTL of the CNAMEs followed so far */
    uint8_t name[DNS_NAME_WIRE_MAX]; /* name asked now (wire form) */
    uint8_t name_len;
    uint8_t key[DNS_NAME_WIRE_MAX];  /* name the caller asked (cache key) */
    uint8_t key_len;
};

struct dns_cache_entry {
    bool used;
    uint8_t status;               /* DNS_OK, DNS_NXDOMAIN or DNS_NODATA */
    uint8_t count;
    uint8_t name_len;
    uint16_t qtype;
    uint64_t expires_ns;
    struct dns_addr addrs[DNS_MAX_ADDRS];
    uint8_t name[DNS_NAME_WIRE_MAX]; /* wire form, lowercased */
};

/* The resolver's own counters (the instance's "dns.*" counters hold the
 * usual per-protocol classes). */
struct dns_resolver_stats {
    uint32_t queries;      /* lookups that went to the network */
    uint32_t sent;         /* query datagrams sent, retransmissions included */
    uint32_t retransmits;
    uint32_t responses;    /* responses that matched a pending query (RFC 5452 checks passed) */
    uint32_t mismatched;   /* dropped: wrong ID, server, port or question, or not a response */
    uint32_t malformed;    /* dropped: failed dns_parse, or over DNS_MSG_MAX */
    uint32_t truncated;    /* responses with TC set (no TCP fallback: next server) */
    uint32_t server_errors;/* RCODEs other than NOERROR / NXDOMAIN */
    uint32_t nxdomain;
    uint32_t nodata;
    uint32_t timeouts;     /* lookups that ran out of retries */
    uint32_t cache_hits;
    uint32_t cache_inserts;
    uint32_t restarts;     /* queries restarted for a canonical name */
    uint32_t table_full;   /* lookups refused: DNS_TABLE_SIZE in flight */
};

struct dns_resolver {
    struct stack *stack;
    ip_addr_t servers[DNS_MAX_SERVERS]; /* 0.0.0.0 or ::: unused slot */
    /* Tunables (dns_init sets the defaults; change them any time). */
    uint32_t timeout_ms;      /* first wait for an answer; doubles each round */
    uint8_t rounds;           /* each server is asked this many times at most */
    uint32_t ttl_min_s;       /* cached TTLs are raised to this (TTL 0 stays uncached) */
    uint32_t ttl_max_s;       /* ... and cut to this */
    uint32_t neg_ttl_max_s;   /* cap on negative caching (RFC 2308 5) */
    struct dns_query queries[DNS_TABLE_SIZE];
    struct dns_cache_entry cache[DNS_CACHE_SIZE];
    struct dns_resolver_stats stats;
    uint8_t buf[DNS_MSG_MAX]; /* the response being handled, copied out of its pbuf chain */
    struct dns_msg_repr rx;   /* ... and its parsed view */
};

/* Attach r (caller-owned, outliving its use) to s with default tunables and
 * no servers. A resolver already attached to s is replaced (its lookups are
 * cancelled without callbacks). */
void dns_init(struct stack *s, struct dns_resolver *r);
/* The attached resolver, or NULL. */
struct dns_resolver *dns_get(struct stack *s);
/* Server idx (0..DNS_MAX_SERVERS-1); NULL or 0.0.0.0 clears it. */
err_t dns_set_server(struct stack *s, uint8_t idx, const ip4_addr_t *addr);
/* The IPv4 server in slot idx (0.0.0.0 for none or an IPv6 one). */
ip4_addr_t dns_get_server(struct stack *s, uint8_t idx);
/* Either family: what DHCP, DHCPv6 (RFC 8415 21.10 / RFC 3646) and RA's
 * RDNSS (RFC 8106) set. NULL, 0.0.0.0 or :: clears the slot; a link-local
 * IPv6 server needs its zone (ERR_ARG without). */
err_t dns_set_server_ip(struct stack *s, uint8_t idx, const ip_addr_t *addr);
/* The server in slot idx; ip_addr_is_any() when the slot is free. */
ip_addr_t dns_get_server_ip(struct stack *s, uint8_t idx);

/* Look `name` up for records of qtype DNS_RR_A or DNS_RR_AAAA (RFC 3596:
 * asked over IPv4 like any type; the addresses come back with family 6).
 * ERR_OK: the answer is known now (a dotted quad for A, or the cache)
 * and is in *out (out may be NULL); fn is not called. ERR_INPROGRESS: a query
 * went out; fn(arg, result) follows once. ERR_ARG: bad name or type. ERR_RTE:
 * no server set. ERR_MEM: DNS_TABLE_SIZE lookups in flight, or no PCB. ERR_VAL:
 * no resolver attached. */
err_t dns_gethostbyname(struct stack *s, const char *name, dns_found_fn fn, void *arg, uint16_t qtype,
                        struct dns_result *out);
/* Drop every pending lookup with this fn and arg (no callback). Returns how many. */
unsigned dns_cancel(struct stack *s, dns_found_fn fn, void *arg);
/* Forget every cached answer. */
void dns_cache_flush(struct stack *s);

#endif
