/*
 * RTP header extensions (RFC 8285). See rtp_ext.h.
 */
#include "protocol/rtp_ext.h"

#include <string.h>

#define ONE_BYTE_ID_STOP 15 /* one-byte form: "stop processing" (RFC 8285 section 4.2) */
#define ONE_BYTE_MAX_ID 14
#define ONE_BYTE_MAX_LEN 16

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

sy_rtp_ext_form sy_rtp_ext_form_of(const sy_rtp_header *hdr)
{
    if (!hdr->has_extension) return SY_RTP_EXT_NONE;
    if (hdr->ext_profile == SY_RTP_EXT_PROFILE_ONE_BYTE) return SY_RTP_EXT_ONE_BYTE;
    if ((hdr->ext_profile & 0xFFF0) == SY_RTP_EXT_PROFILE_TWO_BYTE) return SY_RTP_EXT_TWO_BYTE;
    return SY_RTP_EXT_OTHER;
}

/* ---- iteration ---- */

void sy_rtp_ext_iter_init(sy_rtp_ext_iter *it, const sy_rtp_header *hdr)
{
    it->form = (uint8_t)sy_rtp_ext_form_of(hdr);
    it->p = hdr->data + hdr->ext_offset;
    it->len = hdr->ext_len;
    it->pos = 0;
    if (it->form != SY_RTP_EXT_ONE_BYTE && it->form != SY_RTP_EXT_TWO_BYTE) it->len = 0;
}

/* Marks the iterator finished (pos past the end keeps next() returning the error). */
static int iter_fail(sy_rtp_ext_iter *it)
{
    it->pos = it->len + 1;
    return SY_RTP_EEXT;
}

int sy_rtp_ext_next(sy_rtp_ext_iter *it, sy_rtp_ext_elem *out)
{
    if (it->pos > it->len) return SY_RTP_EEXT;
    while (it->pos < it->len && it->p[it->pos] == 0)
        it->pos++; /* padding */
    if (it->pos == it->len) return 0;

    size_t remaining = it->len - it->pos; /* >= 1 */
    const uint8_t *e = it->p + it->pos;
    uint8_t id, len;
    size_t header;
    if (it->form == SY_RTP_EXT_ONE_BYTE) {
        id = e[0] >> 4;
        len = (uint8_t)((e[0] & 0x0F) + 1);
        header = 1;
        if (id == ONE_BYTE_ID_STOP) {
            it->pos = it->len;
            return 0;
        }
        if (id == 0) return iter_fail(it); /* id 0 is padding only, with length 0 */
    } else {
        if (remaining < 2) return iter_fail(it);
        id = e[0]; /* non-zero: zeros were skipped as padding */
        len = e[1];
        header = 2;
    }
    if (remaining - header < len) return iter_fail(it);
    out->id = id;
    out->len = len;
    out->data = e + header;
    it->pos += header + len;
    return 1;
}

int sy_rtp_ext_find(const sy_rtp_header *hdr, uint8_t id, const uint8_t **data, size_t *len)
{
    if (id == 0) return SY_RTP_EINVAL;
    sy_rtp_ext_iter it;
    sy_rtp_ext_elem el;
    int r;
    sy_rtp_ext_iter_init(&it, hdr);
    while ((r = sy_rtp_ext_next(&it, &el)) > 0) {
        if (el.id == id) {
            *data = el.data;
            *len = el.len;
            return 0;
        }
    }
    return r < 0 ? r : SY_RTP_ENOTFOUND;
}

/* ---- value parsers ---- */

static bool str_char_ok(uint8_t c)
{
    return c >= 0x21 && c <= 0x7E;
}

int sy_rtp_ext_read_str(const uint8_t *data, size_t len, char *out, size_t cap)
{
    if (cap > 0) out[0] = '\0';
    if (len == 0 || len > SY_RTP_EXT_STR_MAX) return SY_RTP_EEXTVAL;
    for (size_t i = 0; i < len; i++)
        if (!str_char_ok(data[i])) return SY_RTP_EEXTVAL;
    if (cap < len + 1) return SY_RTP_ENOSPC;
    memcpy(out, data, len);
    out[len] = '\0';
    return (int)len;
}

int sy_rtp_ext_read_audio_level(const uint8_t *data, size_t len, bool *voice, uint8_t *level)
{
    if (len != 1) return SY_RTP_EEXTVAL;
    *voice = data[0] & 0x80;
    *level = data[0] & 0x7F;
    return 0;
}

int sy_rtp_ext_read_abs_send_time(const uint8_t *data, size_t len, uint32_t *value)
{
    if (len != 3) return SY_RTP_EEXTVAL;
    *value = (uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2];
    return 0;
}

int sy_rtp_ext_read_twcc(const uint8_t *data, size_t len, uint16_t *seq)
{
    if (len != 2 && len != 4) return SY_RTP_EEXTVAL;
    *seq = rd16(data);
    return 0;
}

int sy_rtp_ext_read_video_orientation(const uint8_t *data, size_t len, sy_rtp_cvo *out)
{
    if (len != 1) return SY_RTP_EEXTVAL;
    out->camera = data[0] & 0x08;
    out->flip = data[0] & 0x04;
    out->rotation = (uint16_t)((data[0] & 0x03) * 90);
    return 0;
}

int sy_rtp_ext_read_playout_delay(const uint8_t *data, size_t len, uint16_t *min_delay,
                                  uint16_t *max_delay)
{
    if (len != 3) return SY_RTP_EEXTVAL;
    *min_delay = (uint16_t)((uint16_t)data[0] << 4 | data[1] >> 4);
    *max_delay = (uint16_t)((uint16_t)(data[1] & 0x0F) << 8 | data[2]);
    return 0;
}

int sy_rtp_ext_read_dd(const uint8_t *data, size_t len, sy_rtp_dd *out)
{
    if (len < 3) return SY_RTP_EEXTVAL;
    out->start_of_frame = data[0] & 0x80;
    out->end_of_frame = data[0] & 0x40;
    out->template_id = data[0] & 0x3F;
    out->frame_number = rd16(data + 1);
    return 0;
}

/* ---- single pass over the negotiated extensions ---- */

/* Parses one element known to be the extension of bit into out; returns 0 or an
 * error. */
static int parse_value(uint32_t bit, const sy_rtp_ext_elem *el, sy_rtp_ext_values *out)
{
    switch (bit) {
    case SY_RTP_EXT_MID:
        return sy_rtp_ext_read_str(el->data, el->len, out->mid, sizeof(out->mid));
    case SY_RTP_EXT_RID:
        return sy_rtp_ext_read_str(el->data, el->len, out->rid, sizeof(out->rid));
    case SY_RTP_EXT_RRID:
        return sy_rtp_ext_read_str(el->data, el->len, out->rrid, sizeof(out->rrid));
    case SY_RTP_EXT_AUDIO_LEVEL:
        return sy_rtp_ext_read_audio_level(el->data, el->len, &out->voice_activity,
                                           &out->audio_level);
    case SY_RTP_EXT_ABS_SEND_TIME:
        return sy_rtp_ext_read_abs_send_time(el->data, el->len, &out->abs_send_time);
    case SY_RTP_EXT_TWCC:
        return sy_rtp_ext_read_twcc(el->data, el->len, &out->twcc_seq);
    case SY_RTP_EXT_VIDEO_ORIENTATION:
        return sy_rtp_ext_read_video_orientation(el->data, el->len, &out->video_orientation);
    case SY_RTP_EXT_PLAYOUT_DELAY:
        return sy_rtp_ext_read_playout_delay(el->data, el->len, &out->playout_min,
                                             &out->playout_max);
    case SY_RTP_EXT_DD: {
        int r = sy_rtp_ext_read_dd(el->data, el->len, &out->dd);
        if (r == 0) {
            out->dd_data = el->data;
            out->dd_len = el->len;
        }
        return r;
    }
    }
    return SY_RTP_EINVAL;
}

/* The SY_RTP_EXT_* bit negotiated for id, or 0. The first match in field order wins
 * when the SDP gave two extensions the same id. */
static uint32_t bit_for_id(const sy_rtp_ext_ids *ids, uint8_t id)
{
    if (id == ids->mid) return SY_RTP_EXT_MID;
    if (id == ids->rid) return SY_RTP_EXT_RID;
    if (id == ids->rrid) return SY_RTP_EXT_RRID;
    if (id == ids->audio_level) return SY_RTP_EXT_AUDIO_LEVEL;
    if (id == ids->abs_send_time) return SY_RTP_EXT_ABS_SEND_TIME;
    if (id == ids->twcc) return SY_RTP_EXT_TWCC;
    if (id == ids->video_orientation) return SY_RTP_EXT_VIDEO_ORIENTATION;
    if (id == ids->playout_delay) return SY_RTP_EXT_PLAYOUT_DELAY;
    if (id == ids->dependency_descriptor) return SY_RTP_EXT_DD;
    return 0;
}

int sy_rtp_ext_parse_all(const sy_rtp_header *hdr, const sy_rtp_ext_ids *ids,
                         sy_rtp_ext_values *out)
{
    out->present = 0;
    out->invalid = 0;
    out->mid[0] = out->rid[0] = out->rrid[0] = '\0';
    out->dd_data = NULL;
    out->dd_len = 0;

    sy_rtp_ext_iter it;
    sy_rtp_ext_elem el;
    int r;
    sy_rtp_ext_iter_init(&it, hdr);
    while ((r = sy_rtp_ext_next(&it, &el)) > 0) {
        uint32_t bit = bit_for_id(ids, el.id); /* el.id is never 0: "not negotiated" */
        if (!bit || ((out->present | out->invalid) & bit)) continue;
        if (parse_value(bit, &el, out) < 0)
            out->invalid |= bit;
        else
            out->present |= bit;
    }
    if (r < 0) return r;
    return out->invalid ? SY_RTP_EEXTVAL : 0;
}

/* ---- writing ---- */

int sy_rtp_ext_write(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                     const uint8_t *value, size_t value_len)
{
    if (id == 0 || len < hdr->ext_offset + hdr->ext_len) return SY_RTP_EINVAL;
    const uint8_t *data;
    size_t old_len;
    int r = sy_rtp_ext_find(hdr, id, &data, &old_len);
    if (r < 0) return r;
    bool one_byte = sy_rtp_ext_form_of(hdr) == SY_RTP_EXT_ONE_BYTE;
    if (value_len > old_len || (one_byte && value_len == 0)) return SY_RTP_ENOSPC;
    if (value_len > 0 && !value) return SY_RTP_EINVAL;

    /* The same offset in pkt, which has hdr's layout (checked to hold the block). */
    uint8_t *dst = pkt + (size_t)(data - hdr->data);
    if (value_len > 0) memmove(dst, value, value_len);
    if (value_len < old_len) {
        memset(dst + value_len, 0, old_len - value_len);
        if (one_byte)
            dst[-1] = (uint8_t)((unsigned)id << 4 | (value_len - 1));
        else
            dst[-1] = (uint8_t)value_len;
    }
    return 0;
}

int sy_rtp_ext_write_twcc(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                          uint16_t seq)
{
    const uint8_t *data;
    size_t old_len;
    if (id == 0 || len < hdr->ext_offset + hdr->ext_len) return SY_RTP_EINVAL;
    int r = sy_rtp_ext_find(hdr, id, &data, &old_len);
    if (r < 0) return r;
    if (old_len != 2 && old_len != 4) return SY_RTP_EEXTVAL;
    uint8_t *dst = pkt + (size_t)(data - hdr->data);
    dst[0] = (uint8_t)(seq >> 8);
    dst[1] = (uint8_t)seq;
    return 0;
}

int sy_rtp_ext_write_abs_send_time(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                                   uint32_t value)
{
    const uint8_t *data;
    size_t old_len;
    if (id == 0 || len < hdr->ext_offset + hdr->ext_len) return SY_RTP_EINVAL;
    int r = sy_rtp_ext_find(hdr, id, &data, &old_len);
    if (r < 0) return r;
    if (old_len != 3) return SY_RTP_EEXTVAL;
    uint8_t *dst = pkt + (size_t)(data - hdr->data);
    dst[0] = (uint8_t)(value >> 16);
    dst[1] = (uint8_t)(value >> 8);
    dst[2] = (uint8_t)value;
    return 0;
}

int sy_rtp_ext_write_mid(uint8_t *pkt, size_t len, const sy_rtp_header *hdr, uint8_t id,
                         const char *mid)
{
    if (!mid) return SY_RTP_EINVAL;
    size_t n = 0;
    while (n <= SY_RTP_EXT_STR_MAX && mid[n] != '\0') {
        if (!str_char_ok((uint8_t)mid[n])) return SY_RTP_EINVAL;
        n++;
    }
    if (n == 0 || n > SY_RTP_EXT_STR_MAX) return SY_RTP_EINVAL;
    return sy_rtp_ext_write(pkt, len, hdr, id, (const uint8_t *)mid, n);
}

/* ---- building ---- */

int sy_rtp_ext_build(uint8_t *out, size_t cap, const sy_rtp_ext_elem *elems, size_t n)
{
    if (n == 0) return 0;
    bool one_byte = true;
    size_t body = 0; /* element bytes in the two-byte form; one fewer each in one-byte */
    for (size_t i = 0; i < n; i++) {
        if (elems[i].id == 0 || (elems[i].len > 0 && !elems[i].data)) return SY_RTP_EINVAL;
        if (elems[i].id > ONE_BYTE_MAX_ID || elems[i].len == 0 || elems[i].len > ONE_BYTE_MAX_LEN)
            one_byte = false;
        body += (size_t)elems[i].len + 2;
        if (body > 2 * (size_t)0xFFFF * 4) return SY_RTP_EINVAL; /* cannot fit either way */
    }
    if (one_byte) body -= n;
    if (body > (size_t)0xFFFF * 4) return SY_RTP_EINVAL;
    size_t words = (body + 3) / 4;
    size_t total = 4 + words * 4;
    if (cap < total) return SY_RTP_ENOSPC;

    uint16_t profile = one_byte ? SY_RTP_EXT_PROFILE_ONE_BYTE : SY_RTP_EXT_PROFILE_TWO_BYTE;
    out[0] = (uint8_t)(profile >> 8);
    out[1] = (uint8_t)profile;
    out[2] = (uint8_t)(words >> 8);
    out[3] = (uint8_t)words;
    size_t pos = 4;
    for (size_t i = 0; i < n; i++) {
        const sy_rtp_ext_elem *e = &elems[i];
        if (one_byte) {
            out[pos++] = (uint8_t)(e->id << 4 | (e->len - 1));
        } else {
            out[pos++] = e->id;
            out[pos++] = e->len;
        }
        if (e->len > 0) memcpy(out + pos, e->data, e->len);
        pos += e->len;
    }
    memset(out + pos, 0, total - pos);
    return (int)total;
}

int sy_rtp_write_header_ext(uint8_t *out, size_t cap, const sy_rtp_fields *f,
                            const sy_rtp_ext_elem *elems, size_t n)
{
    int r = sy_rtp_write_header(out, cap, f);
    if (r < 0) return r;
    int b = sy_rtp_ext_build(out + r, cap - (size_t)r, elems, n);
    if (b < 0) return b;
    if (b > 0) out[0] |= 0x10;
    return r + b;
}
