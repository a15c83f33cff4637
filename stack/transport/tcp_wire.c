/* TCP header and options on the wire (RFC 9293 3.1, RFC 7323, RFC 2018). */
#include <string.h>

#include "transport/tcp_priv.h"

/* Options are parsed leniently where RFC 9293 3.1 asks for it (unknown
 * kinds skipped by their length) and strictly where a length lies. */
static enum tcp_parse_result parse_options(const uint8_t *o, size_t len, struct tcp_repr *r)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = o[i];
        if (kind == TCP_OPT_EOL) break;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len) return TCP_PARSE_OPT;
        uint8_t olen = o[i + 1];
        if (olen < 2 || olen > len - i) return TCP_PARSE_OPT;
        const uint8_t *v = o + i + 2;
        switch (kind) {
        case TCP_OPT_MSS:
            if (olen == 4) {
                r->has_mss = true;
                r->mss = rd16be(v);
            }
            break;
        case TCP_OPT_WS:
            if (olen == 3) {
                r->has_ws = true;
                r->ws = v[0];
            }
            break;
        case TCP_OPT_SACK_PERM:
            if (olen == 2) r->sack_perm = true;
            break;
        case TCP_OPT_TS:
            if (olen == 10) {
                r->has_ts = true;
                r->ts_val = rd32be(v);
                r->ts_ecr = rd32be(v + 4);
            }
            break;
        case TCP_OPT_SACK:
            if (olen >= 10 && (olen - 2) % 8 == 0) {
                size_t n = (size_t)(olen - 2) / 8;
                for (size_t k = 0; k < n && r->sack_count < TCP_MAX_SACK_BLOCKS; k++) {
                    r->sack[r->sack_count].left = rd32be(v + 8 * k);
                    r->sack[r->sack_count].right = rd32be(v + 8 * k + 4);
                    r->sack_count++;
                }
            }
            break;
        default: break; /* RFC 9293 3.1: ignore options we do not know */
        }
        i += olen;
    }
    return TCP_PARSE_OK;
}

enum tcp_parse_result tcp_parse(const uint8_t *p, size_t len, struct tcp_repr *out)
{
    memset(out, 0, sizeof(*out));
    if (p == NULL || len < TCP_HDR_LEN) return TCP_PARSE_LEN;
    out->src_port = rd16be(p);
    out->dst_port = rd16be(p + 2);
    out->seq = rd32be(p + 4);
    out->ack = rd32be(p + 8);
    out->hdr_len = (uint8_t)((p[12] >> 4) * 4u);
    out->flags = p[13];
    out->wnd = rd16be(p + 14);
    out->checksum = rd16be(p + 16);
    out->urg_ptr = rd16be(p + 18);
    if (out->hdr_len < TCP_HDR_LEN || out->hdr_len > len) return TCP_PARSE_LEN;
    return parse_options(p + TCP_HDR_LEN, out->hdr_len - TCP_HDR_LEN, out);
}

size_t tcp_opts_len(const struct tcp_out_opts *o)
{
    size_t n = 0;
    if (o->mss) n += 4;
    if (o->ts) n += 12;                 /* SACK-permitted (or NOP NOP) + TS */
    else if (o->sack_perm) n += 4;      /* NOP NOP SACK-permitted */
    if (o->ws) n += 4;                  /* NOP WS */
    if (o->sack_count) n += 4u + 8u * o->sack_count; /* NOP NOP kind len + blocks */
    return n;
}

void tcp_emit(const struct tcp_repr *r, const struct tcp_out_opts *o, uint8_t *p)
{
    size_t olen = tcp_opts_len(o);
    wr16be(p, r->src_port);
    wr16be(p + 2, r->dst_port);
    wr32be(p + 4, r->seq);
    wr32be(p + 8, r->ack);
    p[12] = (uint8_t)(((TCP_HDR_LEN + olen) / 4u) << 4);
    p[13] = r->flags;
    wr16be(p + 14, r->wnd);
    wr16be(p + 16, 0);
    wr16be(p + 18, r->urg_ptr);
    uint8_t *q = p + TCP_HDR_LEN;
    if (o->mss) {
        q[0] = TCP_OPT_MSS;
        q[1] = 4;
        wr16be(q + 2, o->mss_val);
        q += 4;
    }
    if (o->ts) {
        if (o->sack_perm) {
            q[0] = TCP_OPT_SACK_PERM;
            q[1] = 2;
        } else {
            q[0] = TCP_OPT_NOP;
            q[1] = TCP_OPT_NOP;
        }
        q[2] = TCP_OPT_TS;
        q[3] = 10;
        wr32be(q + 4, o->ts_val);
        wr32be(q + 8, o->ts_ecr);
        q += 12;
    } else if (o->sack_perm) {
        q[0] = TCP_OPT_NOP;
        q[1] = TCP_OPT_NOP;
        q[2] = TCP_OPT_SACK_PERM;
        q[3] = 2;
        q += 4;
    }
    if (o->ws) {
        q[0] = TCP_OPT_NOP;
        q[1] = TCP_OPT_WS;
        q[2] = 3;
        q[3] = o->ws_val;
        q += 4;
    }
    if (o->sack_count) {
        q[0] = TCP_OPT_NOP;
        q[1] = TCP_OPT_NOP;
        q[2] = TCP_OPT_SACK;
        q[3] = (uint8_t)(2u + 8u * o->sack_count);
        q += 4;
        for (unsigned k = 0; k < o->sack_count; k++) {
            wr32be(q, o->sack[k].left);
            wr32be(q + 4, o->sack[k].right);
            q += 8;
        }
    }
}
