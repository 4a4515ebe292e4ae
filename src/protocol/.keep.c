/* protocol/ holds pure protocol code (RTP, RTCP, SDP, ...) added with the media core;
 * this unit keeps the library non-empty until then. */
typedef int sy_protocol_placeholder_t;
