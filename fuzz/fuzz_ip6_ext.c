/*
 * libFuzzer harness: the IPv6 extension header walker (ip6_ext_walk in
 * stack/ipv6/ip6.c; RFC 8200 4) on raw bytes, and the fixed header parser.
 *
 * The input's first byte: bit 0 says the destination was multicast (which
 * decides option actions 10/11, RFC 8200 4.2); the rest is the packet from
 * its fixed header on, handed over in a heap buffer of exactly its length so
 * that ASan sees any over-read.
 * Oracles, besides ASan/UBSan: every verdict's fields stay inside the
 * packet; an upper-layer verdict never names an extension header the walker
 * knows; a fragment verdict has the whole 8-byte fragment header; a
 * parameter problem has a code 0..2 and a pointer inside the packet; the
 * walk is deterministic (a second run agrees).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/ip6.h"
#include "fuzz_platform.h"

#define HARNESS "fuzz_ip6_ext"

static void fail(const char *why, size_t value) { fuzz_fail(HARNESS, why, value); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    bool mcast = (data[0] & 1u) != 0;
    size_t len = size - 1;
    uint8_t *pkt = malloc(len ? len : 1);
    if (pkt == NULL) return 0;
    if (len) memcpy(pkt, data + 1, len);

    struct ip6_repr r;
    enum ip6_parse_result pr = ip6_parse(pkt, len, &r);
    if (pr == IP6_OK && (size_t)r.payload_len + IP6_HDR_LEN > len) fail("parse accepted a payload past the end", r.payload_len);

    struct ip6_ext_result e, again;
    ip6_ext_walk(pkt, len, mcast, &e);
    ip6_ext_walk(pkt, len, mcast, &again);
    if (memcmp(&e, &again, sizeof(e)) != 0) fail("two walks of the same bytes disagree", 0);
    if (len < IP6_HDR_LEN && e.verdict != IP6_EXT_DISCARD) fail("walked a packet shorter than its fixed header", len);
    switch (e.verdict) {
    case IP6_EXT_UPPER:
        if (e.offset > len) fail("upper layer past the end", e.offset);
        if (e.nh == IP6_NH_HOPOPTS || e.nh == IP6_NH_DSTOPTS || e.nh == IP6_NH_ROUTING || e.nh == IP6_NH_FRAGMENT ||
            e.nh == IP6_NH_NONE)
            fail("an extension header reported as the upper layer", e.nh);
        if (e.pointer >= len || pkt[e.pointer] != e.nh) fail("the upper layer's Next Header field is elsewhere", e.pointer);
        break;
    case IP6_EXT_FRAGMENT:
        if (e.offset + 8u > len) fail("fragment header past the end", e.offset);
        if (e.pointer >= len || pkt[e.pointer] != IP6_NH_FRAGMENT) fail("fragment header not named by its field", e.pointer);
        break;
    case IP6_EXT_NONE:
        if (e.offset > len) fail("no-next-header past the end", e.offset);
        break;
    case IP6_EXT_PARAM_PROB:
        if (e.icmp_code > 2) fail("parameter problem code out of range", e.icmp_code);
        if (e.pointer >= len) fail("parameter problem pointer past the end", e.pointer);
        if (e.icmp_if_unicast && e.icmp_code != 2) fail("action 11 outside an option", e.icmp_code);
        break;
    case IP6_EXT_DISCARD: break;
    default: fail("unknown verdict", e.verdict);
    }
    if (e.hbh_count > 1) fail("more than one hop-by-hop header accepted", e.hbh_count);
    free(pkt);
    return 0;
}
