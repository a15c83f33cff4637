/*
 * DNS wire format (RFC 1035 4.1): names, the whole-message parser, and the
 * query emitter. Pure functions of their inputs, no instance.
 *
 * The parser is written against the bug classes of NAME:WRECK (Forescout
 * 2021) and AMNESIA:33 (2020): every offset is checked against the message
 * length before it is read; compression pointers must point strictly before
 * the start of the label run they were found in, which makes loops and
 * forward pointers impossible and bounds the walk; labels are at most 63
 * octets and names at most 255 (RFC 1035 2.3.4); a record's RDLENGTH must
 * fit in the message and match what the type needs; counts may not claim
 * more records than the message holds; and no more than DNS_PARSE_MAX_RR
 * records are looked at, whatever the counts say.
 */
#include "shoal/dns.h"

static uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c; }

err_t dns_name_read(const uint8_t *msg, size_t len, size_t off, size_t *next, uint8_t *out, size_t *out_len)
{
    size_t pos = off;
    size_t run_start = off; /* where the current run of labels began */
    size_t wire = 0;        /* octets of the uncompressed name so far */
    size_t after = 0;       /* just past the first pointer */
    bool jumped = false;
    unsigned jumps = 0;

    for (;;) {
        if (pos >= len) return ERR_BUF;
        uint8_t b = msg[pos];
        if ((b & 0xc0u) == 0xc0u) {
            /* RFC 1035 4.1.4: a pointer to a prior occurrence of a name. */
            if (pos + 1 >= len) return ERR_BUF;
            size_t target = ((size_t)(b & 0x3fu) << 8) | msg[pos + 1];
            /* Strictly before the current run: each jump lands lower than
             * the last, so the walk ends; and never into the header. */
            if (target < DNS_HDR_LEN || target >= run_start) return ERR_BUF;
            /* A 255-octet name has at most 127 labels: more jumps than that
             * mean pointer chains without labels, which no encoder makes. */
            if (++jumps > DNS_NAME_WIRE_MAX / 2) return ERR_BUF;
            if (!jumped) {
                after = pos + 2;
                jumped = true;
            }
            pos = target;
            run_start = target;
            continue;
        }
        /* 0x40 and 0x80: extended label types (RFC 6891 5 retired them). */
        if ((b & 0xc0u) != 0) return ERR_BUF;
        if (b == 0) {
            if (wire + 1 > DNS_NAME_WIRE_MAX) return ERR_BUF;
            if (out != NULL) out[wire] = 0;
            wire++;
            break;
        }
        /* b <= 63 here (the top two bits are clear). */
        if (b > len - pos - 1) return ERR_BUF;
        /* This label and at least the final zero octet must fit in 255. */
        if (wire + 1u + b + 1u > DNS_NAME_WIRE_MAX) return ERR_BUF;
        if (out != NULL) {
            out[wire] = b;
            for (size_t i = 0; i < b; i++) out[wire + 1 + i] = ascii_lower(msg[pos + 1 + i]);
        }
        wire += 1u + b;
        pos += 1u + b;
    }
    if (next != NULL) *next = jumped ? after : pos + 1;
    if (out_len != NULL) *out_len = wire;
    return ERR_OK;
}

/* A name that must fill [off, end) exactly (as in RDATA). */
static bool name_fills(const uint8_t *msg, size_t len, size_t off, size_t end, size_t *next)
{
    size_t n;
    if (dns_name_read(msg, len, off, &n, NULL, NULL) != ERR_OK) return false;
    if (next != NULL) *next = n;
    return n <= end;
}

/* RDATA checks for the types the resolver reads (RFC 1035 3.3, 3.4.1;
 * RFC 3596 2.2). Other types are skipped by their RDLENGTH. */
static bool rdata_ok(const uint8_t *msg, size_t len, const struct dns_rr_repr *rr)
{
    size_t end = (size_t)rr->rdata_off + rr->rdlen;
    size_t n;
    switch (rr->type) {
    case DNS_RR_A:
        /* AMNESIA:33 class: an A record is 4 octets, never "RDLENGTH of them". */
        return rr->rclass != DNS_CLASS_IN || rr->rdlen == 4;
    case DNS_RR_AAAA:
        return rr->rclass != DNS_CLASS_IN || rr->rdlen == 16;
    case DNS_RR_CNAME:
    case DNS_RR_NS:
        return name_fills(msg, len, rr->rdata_off, end, &n) && n == end;
    case DNS_RR_SOA:
        /* MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (5 x 32 bits). */
        if (!name_fills(msg, len, rr->rdata_off, end, &n)) return false;
        if (!name_fills(msg, len, n, end, &n)) return false;
        return end - n == 20;
    default:
        return true;
    }
}

err_t dns_parse(const uint8_t *msg, size_t len, struct dns_msg_repr *out)
{
    /* Offsets are kept in 16 bits: no DNS message is longer (RFC 1035 4.2.2). */
    if (msg == NULL || out == NULL || len < DNS_HDR_LEN || len > 0xffffu) return ERR_BUF;
    out->id = rd16be(msg);
    out->flags = rd16be(msg + 2);
    out->qdcount = rd16be(msg + 4);
    out->ancount = rd16be(msg + 6);
    out->nscount = rd16be(msg + 8);
    out->arcount = rd16be(msg + 10);
    out->qname_off = 0;
    out->qtype = 0;
    out->qclass = 0;
    out->rr_count = 0;
    /* We ask one question; a response carries it back (RFC 5452 9.1). */
    if (out->qdcount > 1) return ERR_VAL;

    size_t pos = DNS_HDR_LEN;
    if (out->qdcount == 1) {
        size_t n;
        if (dns_name_read(msg, len, pos, &n, NULL, NULL) != ERR_OK) return ERR_BUF;
        if (len - n < 4) return ERR_BUF;
        out->qname_off = (uint16_t)pos;
        out->qtype = rd16be(msg + n);
        out->qclass = rd16be(msg + n + 2);
        pos = n + 4;
    }

    /* Answer and authority records; additional records are never read. */
    uint32_t total = (uint32_t)out->ancount + out->nscount;
    for (uint32_t i = 0; i < total && i < DNS_PARSE_MAX_RR; i++) {
        struct dns_rr_repr *rr = &out->rr[out->rr_count];
        size_t n;
        /* A count that lies runs out of message here. */
        if (dns_name_read(msg, len, pos, &n, NULL, NULL) != ERR_OK) return ERR_BUF;
        if (len - n < 10) return ERR_BUF;
        rr->name_off = (uint16_t)pos;
        rr->type = rd16be(msg + n);
        rr->rclass = rd16be(msg + n + 2);
        uint32_t ttl = rd32be(msg + n + 4);
        rr->ttl = (ttl & 0x80000000u) ? 0 : ttl; /* RFC 2181 8 */
        rr->rdlen = rd16be(msg + n + 8);
        rr->rdata_off = (uint16_t)(n + 10);
        if (rr->rdlen > len - (n + 10)) return ERR_BUF; /* RDLENGTH that lies */
        rr->section = i < out->ancount ? 1 : 2;
        if (!rdata_ok(msg, len, rr)) return ERR_BUF;
        pos = n + 10 + rr->rdlen;
        out->rr_count++;
    }
    return ERR_OK;
}

err_t dns_name_from_text(const char *text, uint8_t *out, size_t *out_len)
{
    if (text == NULL || out == NULL) return ERR_ARG;
    size_t wire = 0;  /* octets written */
    size_t label = 0; /* where the current label's length octet is */
    size_t llen = 0;
    const char *c = text;
    if (*c == '\0' || (*c == '.' && c[1] == '\0')) return ERR_ARG; /* no lookups of the root */
    out[0] = 0;
    wire = 1;
    for (;; c++) {
        uint8_t ch = (uint8_t)*c;
        if (ch == '.' || ch == '\0') {
            if (llen == 0) {
                /* Only a final dot may end with nothing after it. */
                if (ch == '\0' && c > text && c[-1] == '.') break;
                return ERR_ARG;
            }
            out[label] = (uint8_t)llen;
            if (ch == '\0') break;
            if (c[1] == '\0') break; /* "name." */
            if (wire + 1 > DNS_NAME_WIRE_MAX) return ERR_ARG;
            label = wire;
            out[wire++] = 0;
            llen = 0;
            continue;
        }
        if (ch < 0x21 || ch > 0x7e || ch == ':') return ERR_ARG;
        if (llen == DNS_LABEL_MAX) return ERR_ARG;
        if (wire + 1 > DNS_NAME_WIRE_MAX - 1) return ERR_ARG; /* leave room for the root octet */
        out[wire++] = ch;
        llen++;
    }
    if (wire + 1 > DNS_NAME_WIRE_MAX) return ERR_ARG;
    out[wire++] = 0;
    if (out_len != NULL) *out_len = wire;
    return ERR_OK;
}

size_t dns_name_to_text(const uint8_t *wire, size_t wire_len, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0) return 0;
#define PUT(ch)                              \
    do {                                     \
        if (o + 1 < cap) out[o++] = (char)(ch); \
    } while (0)
    size_t i = 0;
    while (i < wire_len && wire[i] != 0) {
        size_t l = wire[i];
        if (l > DNS_LABEL_MAX || i + 1 + l > wire_len) break;
        if (i > 0) PUT('.');
        for (size_t k = 0; k < l; k++) {
            uint8_t ch = wire[i + 1 + k];
            if (ch == '.' || ch == '\\') {
                PUT('\\');
                PUT(ch);
            } else if (ch < 0x21 || ch > 0x7e) {
                PUT('\\');
                PUT('0' + ch / 100);
                PUT('0' + (ch / 10) % 10);
                PUT('0' + ch % 10);
            } else {
                PUT(ch);
            }
        }
        i += 1 + l;
    }
    if (i == 0) PUT('.');
#undef PUT
    out[o] = '\0';
    return o;
}

bool dns_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    if (a_len != b_len) return false;
    /* Length octets are <= 63, below 'A', so lowering every octet compares
     * labels case-insensitively and structure exactly. */
    for (size_t i = 0; i < a_len; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

size_t dns_query_emit(uint16_t id, const uint8_t *qname, size_t qname_len, uint16_t qtype, uint8_t *p, size_t cap)
{
    size_t len = DNS_HDR_LEN + qname_len + 4;
    if (qname == NULL || p == NULL || qname_len == 0 || len > cap) return 0;
    wr16be(p, id);
    wr16be(p + 2, DNS_FLAG_RD); /* RFC 1035 4.1.1: standard query, recursion desired */
    wr16be(p + 4, 1);           /* QDCOUNT */
    wr16be(p + 6, 0);
    wr16be(p + 8, 0);
    wr16be(p + 10, 0);
    for (size_t i = 0; i < qname_len; i++) p[DNS_HDR_LEN + i] = qname[i];
    wr16be(p + DNS_HDR_LEN + qname_len, qtype);
    wr16be(p + DNS_HDR_LEN + qname_len + 2, DNS_CLASS_IN);
    return len;
}
