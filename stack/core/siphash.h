/* SipHash-2-4 (Aumasson & Bernstein), a keyed hash for values an attacker
 * must not predict: TCP initial sequence numbers (RFC 6528) and the like. */
#ifndef SHOAL_SIPHASH_H
#define SHOAL_SIPHASH_H

#include "shoal/def.h"

uint64_t siphash24(const uint64_t key[2], const uint8_t *data, size_t len);

#endif
