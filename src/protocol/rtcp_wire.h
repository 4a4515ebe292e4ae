/*
 * Private to the RTCP files of src/protocol: big-endian loads and stores. Callers check
 * the bounds before calling; these only do the byte shuffling. Not a public API.
 */
#ifndef SY_PROTOCOL_RTCP_WIRE_H
#define SY_PROTOCOL_RTCP_WIRE_H

#include <stdint.h>

static inline uint16_t sy_rtcp_rd16(const uint8_t *p)
{
    return (uint16_t)(((uint32_t)p[0] << 8) | p[1]);
}

static inline uint32_t sy_rtcp_rd24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static inline uint32_t sy_rtcp_rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t sy_rtcp_rd64(const uint8_t *p)
{
    return ((uint64_t)sy_rtcp_rd32(p) << 32) | sy_rtcp_rd32(p + 4);
}

static inline void sy_rtcp_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void sy_rtcp_wr24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static inline void sy_rtcp_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void sy_rtcp_wr64(uint8_t *p, uint64_t v)
{
    sy_rtcp_wr32(p, (uint32_t)(v >> 32));
    sy_rtcp_wr32(p + 4, (uint32_t)v);
}

#endif
