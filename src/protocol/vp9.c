#include "protocol/vp9.h"

static int parse_ss(const uint8_t *p, size_t len, size_t *off, sy_vp9_desc *d)
{
    if (*off >= len) return -1;
    uint8_t b = p[(*off)++];
    d->ss_layers = (b >> 5) + 1;
    d->ss_res = b & 0x10;
    bool g = b & 0x08;
    if (d->ss_res) {
        if (len - *off < (size_t)d->ss_layers * 4) return -1;
        for (int i = 0; i < d->ss_layers; i++) {
            d->width[i] = (uint16_t)(p[*off] << 8 | p[*off + 1]);
            d->height[i] = (uint16_t)(p[*off + 2] << 8 | p[*off + 3]);
            *off += 4;
        }
    }
    if (!g) return 0;
    if (*off >= len) return -1;
    d->ss_groups = p[(*off)++];
    for (int i = 0; i < d->ss_groups; i++) {
        if (*off >= len) return -1;
        size_t r = (p[(*off)++] >> 2) & 0x03; /* | TID |U| R |-|-| */
        if (len - *off < r) return -1;
        *off += r;
    }
    return 0;
}

int sy_vp9_desc_parse(const uint8_t *p, size_t len, sy_vp9_desc *d)
{
    *d = (sy_vp9_desc){.picture_id = -1, .tl0picidx = -1};
    if (len < 1) return -1;
    uint8_t h = p[0];
    bool i = h & 0x80, l = h & 0x20;
    d->p = h & 0x40;
    d->f = h & 0x10;
    d->b = h & 0x08;
    d->e = h & 0x04;
    d->v = h & 0x02;
    d->z = h & 0x01;
    size_t off = 1;
    if (i) {
        if (off >= len) return -1;
        d->pid_off = off;
        if (p[off] & 0x80) {
            if (len - off < 2) return -1;
            d->pid_15bit = true;
            d->picture_id = (p[off] & 0x7F) << 8 | p[off + 1];
            off += 2;
        } else {
            d->picture_id = p[off++];
        }
    }
    if (l) {
        if (off >= len) return -1;
        uint8_t b = p[off++];
        d->l = true;
        d->tid = b >> 5;
        d->u = b & 0x10;
        d->sid = (b >> 1) & 0x07;
        d->d = b & 0x01;
        if (!d->f) {
            if (off >= len) return -1;
            d->tl0_off = off;
            d->tl0picidx = p[off++];
        }
    }
    if (d->f && d->p) {
        bool more = true;
        while (more) {
            if (d->n_pdiff == 3 || off >= len) return -1;
            uint8_t b = p[off++];
            d->pdiff[d->n_pdiff++] = b >> 1;
            more = b & 0x01;
        }
    }
    if (d->v && parse_ss(p, len, &off, d) < 0) return -1;
    d->len = off;
    return 0;
}
