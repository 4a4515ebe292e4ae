/* Fuzz target: key frame detection for every codec (first byte picks the codec). */
#include <stdint.h>

#include "protocol/keyframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    sy_rtp_payload_is_keyframe((sy_video_codec)(data[0] % 5), data + 1, size - 1);
    return 0;
}
