/* ICMPv6 (RFC 4443) message types and codes, and ping over IPv6. */
#ifndef SHOAL_ICMP6_H
#define SHOAL_ICMP6_H

#include "shoal/def.h"

#define ICMP6_HDR_LEN 4u   /* type, code, checksum; the rest depends on the type */

#define ICMP6_TYPE_DEST_UNREACH 1u
#define ICMP6_TYPE_PACKET_TOO_BIG 2u
#define ICMP6_TYPE_TIME_EXCEEDED 3u
#define ICMP6_TYPE_PARAM_PROBLEM 4u
#define ICMP6_TYPE_ECHO_REQUEST 128u
#define ICMP6_TYPE_ECHO_REPLY 129u
#define ICMP6_TYPE_MLD_QUERY 130u
#define ICMP6_TYPE_MLD_REPORT 131u
#define ICMP6_TYPE_MLD_DONE 132u
#define ICMP6_TYPE_RS 133u
#define ICMP6_TYPE_RA 134u
#define ICMP6_TYPE_NS 135u
#define ICMP6_TYPE_NA 136u
#define ICMP6_TYPE_REDIRECT 137u
#define ICMP6_TYPE_MLD2_REPORT 143u

/* Destination unreachable codes (RFC 4443 3.1). */
#define ICMP6_DU_NO_ROUTE 0u
#define ICMP6_DU_PROHIBITED 1u
#define ICMP6_DU_BEYOND_SCOPE 2u
#define ICMP6_DU_ADDR_UNREACH 3u
#define ICMP6_DU_PORT_UNREACH 4u
/* Time exceeded codes (RFC 4443 3.3). */
#define ICMP6_TE_HOP_LIMIT 0u
#define ICMP6_TE_REASSEMBLY 1u
/* Parameter problem codes (RFC 4443 3.4). */
#define ICMP6_PP_FIELD 0u
#define ICMP6_PP_NEXT_HEADER 1u
#define ICMP6_PP_OPTION 2u
#define ICMP6_PP_FIRST_FRAG_INCOMPLETE 3u /* RFC 7112 */

#endif
