/*
 * Fuzz target: RTP packets and header extensions as the media core sees them after
 * SRTP unprotect (security.md table 6 row 9). Per input: RFC 7983 classification; the
 * RTP parse; iteration of every extension element, with find and every value parser
 * run on each element; the single-pass parse with three plausible id mappings (Chromium
 * audio and video in the one-byte range, two-byte ids); then, on a copy, the rewrites an
 * SFU does per subscriber (ssrc, seq, timestamp, payload type, marker, transport-wide
 * seq, a shorter mid), after which the packet must re-parse with the same layout; and
 * the elements re-encoded with the block builder must iterate back identically.
 * A broken property traps, so libFuzzer reports it like a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/demux.h"
#include "protocol/rtp.h"
#include "protocol/rtp_ext.h"

#define MAX_ELEMS 64
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

static const sy_rtp_ext_ids id_sets[] = {
    /* Chromium audio + video, one-byte ids. */
    {.audio_level = 1,
     .abs_send_time = 2,
     .twcc = 3,
     .mid = 4,
     .rid = 10,
     .rrid = 11,
     .playout_delay = 12,
     .video_orientation = 13,
     .dependency_descriptor = 14},
    /* Another order, some ids shared with the first set's. */
    {.mid = 1,
     .rid = 2,
     .rrid = 3,
     .audio_level = 5,
     .abs_send_time = 6,
     .twcc = 7,
     .video_orientation = 8,
     .playout_delay = 9,
     .dependency_descriptor = 4},
    /* Two-byte ids. */
    {.mid = 15,
     .rid = 16,
     .rrid = 17,
     .audio_level = 100,
     .abs_send_time = 200,
     .twcc = 255,
     .video_orientation = 30,
     .playout_delay = 31,
     .dependency_descriptor = 20},
};

/* Runs every value parser over one element; they must not read past it. */
static void parse_values(const sy_rtp_ext_elem *el)
{
    char s[SY_RTP_EXT_STR_MAX + 1];
    bool voice;
    uint8_t level;
    uint32_t u32;
    uint16_t u16, u16b;
    sy_rtp_cvo cvo;
    sy_rtp_dd dd;
    int r = sy_rtp_ext_read_str(el->data, el->len, s, sizeof(s));
    REQUIRE(r < 0 ? s[0] == '\0' : (r == el->len && strlen(s) == el->len));
    /* A too-small caller buffer is refused, not overrun. */
    char tiny[2];
    r = sy_rtp_ext_read_str(el->data, el->len, tiny, sizeof(tiny));
    REQUIRE(r < 0 || r == 1);
    (void)sy_rtp_ext_read_audio_level(el->data, el->len, &voice, &level);
    if (sy_rtp_ext_read_abs_send_time(el->data, el->len, &u32) == 0) REQUIRE(u32 < (1u << 24));
    (void)sy_rtp_ext_read_twcc(el->data, el->len, &u16);
    if (sy_rtp_ext_read_video_orientation(el->data, el->len, &cvo) == 0)
        REQUIRE(cvo.rotation % 90 == 0 && cvo.rotation <= 270);
    if (sy_rtp_ext_read_playout_delay(el->data, el->len, &u16, &u16b) == 0)
        REQUIRE(u16 < 4096 && u16b < 4096);
    if (sy_rtp_ext_read_dd(el->data, el->len, &dd) == 0) REQUIRE(dd.template_id < 64);
}

static void check_values(const sy_rtp_header *h, const sy_rtp_ext_values *v, int r)
{
    REQUIRE((v->present & v->invalid) == 0);
    REQUIRE(r != SY_RTP_EEXTVAL || v->invalid != 0);
    REQUIRE(r != 0 || v->invalid == 0);
    REQUIRE(strlen(v->mid) <= SY_RTP_EXT_STR_MAX && strlen(v->rid) <= SY_RTP_EXT_STR_MAX &&
            strlen(v->rrid) <= SY_RTP_EXT_STR_MAX);
    if (v->present & SY_RTP_EXT_DD)
        REQUIRE(v->dd_data >= h->data + h->ext_offset &&
                v->dd_data + v->dd_len <= h->data + h->ext_offset + h->ext_len);
    else
        REQUIRE(v->dd_data == NULL);
}

static bool same_layout(const sy_rtp_header *a, const sy_rtp_header *b)
{
    return a->len == b->len && a->csrc_count == b->csrc_count &&
           a->has_extension == b->has_extension && a->ext_profile == b->ext_profile &&
           a->ext_offset == b->ext_offset && a->ext_len == b->ext_len &&
           a->payload_offset == b->payload_offset && a->payload_len == b->payload_len &&
           a->padding_len == b->padding_len;
}

/* The per-subscriber rewrite: the copy must keep the layout and show the new values. */
static void rewrite_round_trip(const sy_rtp_header *h, const uint8_t *data, size_t size,
                               int ext_status)
{
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    uint32_t ssrc = h->ssrc ^ 0x5A5A5A5Au, ts = h->timestamp + 90000u;
    uint16_t seq = (uint16_t)(h->seq + 1000u);
    uint8_t pt = (uint8_t)((h->payload_type + 1) & 0x7F);
    REQUIRE(sy_rtp_set_ssrc(copy, size, ssrc) == 0);
    REQUIRE(sy_rtp_set_seq(copy, size, seq) == 0);
    REQUIRE(sy_rtp_set_timestamp(copy, size, ts) == 0);
    REQUIRE(sy_rtp_set_payload_type(copy, size, pt) == 0);
    REQUIRE(sy_rtp_set_marker(copy, size, !h->marker) == 0);
    /* Extension rewrites with the first id set: may fail (absent, wrong size), never
     * break the layout. */
    int tw = sy_rtp_ext_write_twcc(copy, size, h, id_sets[0].twcc, 0xABCD);
    (void)sy_rtp_ext_write_abs_send_time(copy, size, h, id_sets[0].abs_send_time, 0x123456);
    int mid = sy_rtp_ext_write_mid(copy, size, h, id_sets[0].mid, "m");

    sy_rtp_header h2;
    REQUIRE(sy_rtp_parse(copy, size, &h2) == 0);
    REQUIRE(same_layout(h, &h2));
    REQUIRE(h2.ssrc == ssrc && h2.seq == seq && h2.timestamp == ts && h2.payload_type == pt &&
            h2.marker == !h->marker && h2.csrc_count == h->csrc_count);
    REQUIRE(memcmp(copy + h->payload_offset, data + h->payload_offset, h->payload_len) == 0);

    sy_rtp_ext_values v;
    int r = sy_rtp_ext_parse_all(&h2, &id_sets[0], &v);
    REQUIRE((r == SY_RTP_EEXT) == (ext_status == SY_RTP_EEXT));
    if (tw == 0 && (v.present & SY_RTP_EXT_TWCC)) REQUIRE(v.twcc_seq == 0xABCD);
    if (mid == 0 && (v.present & SY_RTP_EXT_MID)) REQUIRE(strcmp(v.mid, "m") == 0);
    free(copy);
}

/* Re-encodes the elements with the builder; they must iterate back the same. */
static void build_round_trip(const sy_rtp_ext_elem *els, size_t n)
{
    static uint8_t out[SY_RTP_FIXED_HEADER + 4 + MAX_ELEMS * 257 + 4];
    sy_rtp_fields f = {.payload_type = 96, .seq = 1, .timestamp = 2, .ssrc = 3};
    int off = sy_rtp_write_header_ext(out, sizeof(out), &f, els, n);
    REQUIRE(off > 0);
    sy_rtp_header h;
    REQUIRE(sy_rtp_parse(out, (size_t)off, &h) == 0);
    REQUIRE(h.payload_offset == (size_t)off && h.payload_len == 0);
    sy_rtp_ext_iter it;
    sy_rtp_ext_elem el;
    sy_rtp_ext_iter_init(&it, &h);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(sy_rtp_ext_next(&it, &el) == 1);
        REQUIRE(el.id == els[i].id && el.len == els[i].len);
        REQUIRE(el.len == 0 || memcmp(el.data, els[i].data, el.len) == 0);
    }
    REQUIRE(sy_rtp_ext_next(&it, &el) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sy_pkt_kind kind = sy_demux_classify(data, size);
    (void)sy_pkt_kind_name(kind);

    sy_rtp_header h;
    int r = sy_rtp_parse(data, size, &h);
    (void)sy_rtp_strerror(r);
    if (r < 0) return 0;
    REQUIRE(h.payload_offset + h.payload_len + h.padding_len == size);
    REQUIRE(h.ext_offset + h.ext_len <= h.payload_offset);
    for (unsigned i = 0; i <= h.csrc_count; i++)
        (void)sy_rtp_csrc(&h, i);

    /* Every element; find() must agree on the first element of each id. */
    sy_rtp_ext_elem els[MAX_ELEMS];
    size_t n = 0;
    sy_rtp_ext_iter it;
    sy_rtp_ext_elem el;
    sy_rtp_ext_iter_init(&it, &h);
    int ext_status;
    while ((ext_status = sy_rtp_ext_next(&it, &el)) > 0) {
        REQUIRE(el.id != 0);
        REQUIRE(el.data >= data + h.ext_offset &&
                el.data + el.len <= data + h.ext_offset + h.ext_len);
        parse_values(&el);
        const uint8_t *fd;
        size_t fl;
        REQUIRE(sy_rtp_ext_find(&h, el.id, &fd, &fl) == 0);
        REQUIRE(fd <= el.data);
        if (n < MAX_ELEMS) els[n++] = el;
    }

    for (size_t i = 0; i < sizeof(id_sets) / sizeof(id_sets[0]); i++) {
        sy_rtp_ext_values v;
        int pr = sy_rtp_ext_parse_all(&h, &id_sets[i], &v);
        REQUIRE((pr == SY_RTP_EEXT) == (ext_status == SY_RTP_EEXT));
        check_values(&h, &v, pr);
    }

    rewrite_round_trip(&h, data, size, ext_status);
    if (n > 0) build_round_trip(els, n);
    return 0;
}
