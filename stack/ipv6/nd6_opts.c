/*
 * Neighbor Discovery options (RFC 4861 4.6, RFC 8106 5.1): a pure parser
 * that checks every length once and hands the protocol code a plain view.
 */
#include <string.h>

#include "shoal/ip6.h"
#include "ipv6/nd6_priv.h"

#define OPT_PREFIX_LEN 32u
#define OPT_MTU_LEN 8u
#define OPT_RDNSS_MIN_LEN 24u

static void parse_prefix(const uint8_t *o, struct nd6_opts *out)
{
    if (out->prefix_count >= ND6_OPTS_MAX_PREFIXES) {
        out->prefixes_ignored++;
        return;
    }
    struct nd6_opt_prefix *pi = &out->prefixes[out->prefix_count++];
    pi->prefix_len = o[2];
    pi->flags = o[3];
    pi->valid_lifetime_s = rd32be(o + 4);
    pi->preferred_lifetime_s = rd32be(o + 8);
    ip6_addr_from_bytes(&pi->prefix, o + 16);
}

static void parse_rdnss(const uint8_t *o, size_t olen, struct nd6_opts *out)
{
    /* RFC 8106 5.1: length 3 + 2 per address; the first option wins. */
    if (out->rdnss_count != 0) return;
    out->rdnss_lifetime_s = rd32be(o + 4);
    for (size_t at = 8; at + IP6_ADDR_LEN <= olen && out->rdnss_count < ND6_RDNSS_MAX; at += IP6_ADDR_LEN)
        ip6_addr_from_bytes(&out->rdnss[out->rdnss_count++], o + at);
}

err_t nd6_parse_options(const uint8_t *p, size_t len, struct nd6_opts *out)
{
    memset(out, 0, sizeof(*out));
    size_t at = 0;
    while (at < len) {
        if (len - at < 2) return ERR_VAL;
        const uint8_t *o = p + at;
        size_t olen = (size_t)o[1] * 8u;
        /* RFC 4861 4.6: length 0 makes the whole message invalid; an option
         * running past the end is the same defect. */
        if (olen == 0 || olen > len - at) return ERR_VAL;
        switch (o[0]) {
        case ND6_OPT_SLLA:
        case ND6_OPT_TLLA: {
            const uint8_t **addr = o[0] == ND6_OPT_SLLA ? &out->slla : &out->tlla;
            uint8_t *alen = o[0] == ND6_OPT_SLLA ? &out->slla_len : &out->tlla_len;
            if (*addr == NULL) { /* the first one counts */
                *addr = o + 2;
                *alen = (uint8_t)SHOAL_MIN(olen - 2u, 255u);
            }
            break;
        }
        case ND6_OPT_PREFIX:
            if (olen != OPT_PREFIX_LEN) out->malformed++;
            else parse_prefix(o, out);
            break;
        case ND6_OPT_REDIRECTED:
            /* RFC 4861 4.6.3: 8 bytes of header, then the original packet. */
            if (out->redirected == NULL) {
                out->redirected = o + 8;
                out->redirected_len = olen - 8u;
            }
            break;
        case ND6_OPT_MTU:
            if (olen != OPT_MTU_LEN) {
                out->malformed++;
            } else if (!out->has_mtu) {
                out->has_mtu = true;
                out->mtu = rd32be(o + 4);
            }
            break;
        case ND6_OPT_RDNSS:
            /* RFC 8106 5.1: at least one address, an odd length in units. */
            if (olen < OPT_RDNSS_MIN_LEN || (o[1] & 1u) == 0) out->malformed++;
            else parse_rdnss(o, olen, out);
            break;
        default:
            /* RFC 4861 4.6: unknown options are skipped. */
            out->unknown++;
            break;
        }
        at += olen;
    }
    return ERR_OK;
}
